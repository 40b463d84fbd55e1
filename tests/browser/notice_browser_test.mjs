// Browser test of the public pages (issue 6): a real headless Chromium
// loads pages served by a real banlistd (embedded redis-server) and checks
// what a visitor sees. No network beyond 127.0.0.1, no npm packages.
//
// Usage: node notice_browser_test.mjs --banlistd PATH --out DIR [--chromium PATH]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser } from './cdp_pipe.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const chromium_path = args.chromium || '/usr/bin/chromium';
const out_dir = args.out || '.';
mkdirSync(out_dir, { recursive: true });

const failures = [];
let checks = 0;
function check(ok, what) {
  ++checks;
  if (!ok) { failures.push(what); console.error(`FAIL: ${what}`); }
}

function free_port() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const ADMIN = 'browser-test-admin-key-0123456789';
const CANARY = 'pwned';
const PAYLOADS = [
  `<script>document.title='${CANARY}'</script>`,
  `"><img src=x onerror="document.title='${CANARY}'">`,
  `<a href="javascript:document.title='${CANARY}'">javascript:link</a>`,
  `</title><script>document.title='${CANARY}'</script>`,
  `<svg onload="document.title='${CANARY}'"></svg>`,
];
// Raw identifiers that must never reach a page.
const PUBLIC_BANS = [
  { type: 'phone', value: '13800138000', masked: '138****8000', reason: 'telecom_fraud' },
  { type: 'phone', value: '13912345678', masked: '139****5678', reason: 'task_scam' },
  { type: 'email', value: 'scam.artist@fraud-mail.example', masked: '@fraud-mail.example', reason: 'phishing' },
  { type: 'phone', value: '13711112222', masked: '137****2222', reason: 'loan_fraud' },
  { type: 'phone', value: '13622223333', masked: '136****3333', reason: 'investment_fraud' },
];
const HIDDEN_BAN = { type: 'phone', value: '13599998888', reason: 'spam' };
const RAW_VALUES = [...PUBLIC_BANS.map((b) => b.value), HIDDEN_BAN.value, 'scam.artist'];

async function main() {
  const port = await free_port();
  const data = mkdtempSync(join(tmpdir(), 'banlist-browser-'));
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(args.banlistd, ['--listen', `127.0.0.1:${port}`, '--data', data, '--threads', '2'],
    { env: { ...process.env, BANLIST_ADMIN_KEY: ADMIN }, stdio: ['ignore', 'ignore', 'pipe'] });
  let server_log = '';
  server.stderr.on('data', (d) => { server_log += d.toString(); });
  let b;
  try {
    for (let i = 0; ; ++i) {
      try { if ((await fetch(`${base}/readyz`)).status === 200) break; } catch { /* starting */ }
      if (i > 200) throw new Error(`banlistd did not become ready:\n${server_log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const api = async (method, path, body, key) => {
      const r = await fetch(base + path, {
        method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    };
    const mod = (await api('POST', '/v1/keys', { role: 'moderator', name: 'browser' }, ADMIN)).key;
    const fps = [];
    for (const [i, ban] of PUBLIC_BANS.entries()) {
      const p = PAYLOADS[i % PAYLOADS.length];
      const r = await api('POST', '/v1/bans', {
        type: ban.type, value: ban.value, reason: ban.reason, public: true,
        case_id: p.slice(0, 120), source: PAYLOADS[(i + 1) % PAYLOADS.length].slice(0, 120), note: p,
      }, mod);
      fps.push(r.fp);
    }
    const hidden = await api('POST', '/v1/bans', { ...HIDDEN_BAN, public: false }, mod);
    await api('POST', '/v1/bulletins', {
      title: PAYLOADS[3],
      body: `${PAYLOADS[0]}\n${PAYLOADS[2]}\n\n${PAYLOADS[1]}\n\n${PAYLOADS[4]}`,
      linked_bans: [fps[0], hidden.fp],
    }, mod);

    b = await browser.launch(chromium_path);
    const problems = [];
    const dialogs = [];
    const open_page = async () => {
      const p = await b.new_page();
      b.on((m) => {
        if (m.sessionId !== p.session) return;
        if (m.method === 'Page.javascriptDialogOpening') {
          dialogs.push(m.params.message);
          p.send('Page.handleJavaScriptDialog', { accept: false }).catch(() => {});
        } else if (m.method === 'Runtime.exceptionThrown') {
          problems.push(`exception: ${JSON.stringify(m.params.exceptionDetails.text)}`);
        } else if (m.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(m.params.type)) {
          problems.push(`console.${m.params.type}: ${JSON.stringify(m.params.args)}`);
        } else if (m.method === 'Log.entryAdded' && ['error', 'warning'].includes(m.params.entry.level)) {
          problems.push(`log ${m.params.entry.source}: ${m.params.entry.text} ${m.params.entry.url || ''}`);
        }
      });
      for (const d of ['Page.enable', 'Runtime.enable', 'Log.enable', 'DOM.enable'])
        await p.send(d);
      return p;
    };

    // 1. The notice page in Chinese (default) and English.
    // Chromium asks for en-US by default: that alone must give English.
    const p = await open_page();
    await p.navigate(`${base}/`);
    check(await p.evaluate('document.documentElement.lang') === 'en', 'Accept-Language en-US gives English');
    // A visitor whose browser prefers Chinese gets the default language.
    await p.send('Emulation.setUserAgentOverride', {
      userAgent: await p.evaluate('navigator.userAgent'), acceptLanguage: 'zh-CN,zh;q=0.9,en;q=0.5' });
    await p.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
    for (const [url, lang, heading] of [[`${base}/`, 'zh-CN', '被封禁账号公示'], [`${base}/?lang=en`, 'en', 'Accounts banned for fraud']]) {
      await p.navigate(url);
      const html = await p.html();
      check(await p.evaluate('document.documentElement.lang') === lang, `${url}: html lang ${lang}`);
      check(await p.evaluate('document.querySelector("h1").textContent') === heading, `${url}: heading`);
      check(await p.evaluate('document.querySelectorAll("tbody tr").length') === PUBLIC_BANS.length,
        `${url}: one row per public ban`);
      for (const ban of PUBLIC_BANS) check(html.includes(ban.masked), `${url}: shows ${ban.masked}`);
      for (const raw of RAW_VALUES) check(!html.includes(raw), `${url}: no raw identifier ${raw.slice(0, 3)}…`);
      check(!html.includes('135****8888'), `${url}: non-public ban absent`);
      check(!html.includes(fps[0]), `${url}: no fingerprint`);
      check(await p.evaluate('document.querySelectorAll("script, img, svg, iframe, object").length') === 0,
        `${url}: no injected element`);
      check(!(await p.evaluate('document.title')).includes(CANARY), `${url}: canary title untouched`);
      // Payloads appear literally, as text.
      const text = await p.evaluate('document.body.innerText');
      check(text.includes(PAYLOADS[0].slice(0, 100)) || text.includes(PAYLOADS[1].slice(0, 100)),
        `${url}: payloads shown as literal text`);
      check(await p.evaluate('[...document.querySelectorAll("select, input:not([type=hidden])")].every(e => e.labels && e.labels.length > 0)'),
        `${url}: every form control has a label`);
      check(await p.evaluate('document.querySelectorAll("thead th[scope=col]").length') === 6, `${url}: column headers`);
      if (lang === 'zh-CN') {
        const shot = await p.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
        writeFileSync(join(out_dir, 'notice-zh.png'), Buffer.from(shot.data, 'base64'));
      } else {
        const shot = await p.send('Page.captureScreenshot', { format: 'png' });
        writeFileSync(join(out_dir, 'notice-en.png'), Buffer.from(shot.data, 'base64'));
      }
    }
    // Language links switch languages.
    await p.navigate(`${base}/`);
    const en_href = await p.evaluate('document.querySelector("a[hreflang=en]").getAttribute("href")');
    check(en_href === '/?lang=en', 'language link to English');

    // 2. Bulletins: payloads in title and body stay text.
    for (const url of [`${base}/bulletins`, `${base}/bulletins/1`, `${base}/bulletins/1?lang=en`]) {
      await p.navigate(url);
      const html = await p.html();
      check(await p.evaluate('document.querySelectorAll("script, img, svg, iframe, object").length') === 0,
        `${url}: no injected element`);
      check(!(await p.evaluate('document.title')).includes(CANARY) ||
            (await p.evaluate('document.title')).startsWith(PAYLOADS[3]), `${url}: canary title untouched`);
      check(await p.evaluate('[...document.querySelectorAll("a")].every(a => !a.href.startsWith("javascript:"))'),
        `${url}: no javascript: link`);
      for (const raw of RAW_VALUES) check(!html.includes(raw), `${url}: no raw identifier`);
    }
    await p.navigate(`${base}/bulletins/1`);
    check(await p.evaluate('document.querySelector("h1").textContent') === PAYLOADS[3], 'bulletin title is the literal text');
    check(await p.evaluate('document.title').then((t) => t.startsWith(PAYLOADS[3])), 'document title holds the literal payload');
    check(await p.evaluate('document.querySelectorAll(".body p").length') === 3, 'bulletin paragraphs');
    check(await p.evaluate('document.querySelectorAll(".body p br").length') === 1, 'line break kept inside a paragraph');
    const bhtml = await p.html();
    check(bhtml.includes('138****8000') && !bhtml.includes('135****8888'), 'linked bans: public one masked, hidden one absent');

    // 3. The feed parses as XML with the Atom elements.
    const feed_text = await (await fetch(`${base}/feed.atom`)).text();
    await p.navigate(`${base}/`);
    const feed_check = await p.evaluate(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(feed_text)}, 'application/xml');
      if (doc.getElementsByTagName('parsererror').length) return 'parsererror';
      const ns = 'http://www.w3.org/2005/Atom';
      const root = doc.documentElement;
      if (root.namespaceURI !== ns || root.localName !== 'feed') return 'root';
      for (const n of ['id', 'title', 'updated']) if (!root.getElementsByTagNameNS(ns, n).length) return 'feed ' + n;
      const entries = root.getElementsByTagNameNS(ns, 'entry');
      for (const e of entries) for (const n of ['id', 'title', 'updated'])
        if (e.getElementsByTagNameNS(ns, n).length !== 1) return 'entry ' + n;
      return 'ok:' + entries.length;
    })()`);
    check(feed_check === `ok:${PUBLIC_BANS.length + 1}`, `feed parses as Atom (${feed_check})`);
    for (const raw of RAW_VALUES) check(!feed_text.includes(raw), 'feed: no raw identifier');

    // 4. The search form works with JavaScript disabled.
    const nojs = await open_page();
    await nojs.send('Emulation.setScriptExecutionDisabled', { value: true });
    await nojs.navigate(`${base}/?lang=en`);
    const input = await nojs.query('#lookup-value');
    check(input > 0, 'no-JS: lookup input present');
    await nojs.send('DOM.focus', { nodeId: input });
    await nojs.send('Input.insertText', { text: PUBLIC_BANS[0].value });
    const loaded = nojs.wait_for('Page.loadEventFired');
    await nojs.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, text: '\r' });
    await nojs.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 });
    await loaded;
    const history = await nojs.send('Page.getNavigationHistory');
    const here = history.entries[history.currentIndex].url;
    check(here.startsWith(`${base}/lookup?`), `no-JS: the form went to /lookup (${here.replace(/value=[^&]*/, 'value=…')})`);
    const result = await nojs.html();
    check(result.includes('status listed') && result.includes(PUBLIC_BANS[0].masked), 'no-JS: lookup says listed, masked');
    check(!result.includes(PUBLIC_BANS[0].value), 'no-JS: the typed value is not echoed');

    // 5. A narrow viewport has no horizontal scroll.
    const narrow = await open_page();
    await narrow.send('Emulation.setDeviceMetricsOverride', { width: 360, height: 740, deviceScaleFactor: 2, mobile: true });
    for (const url of [`${base}/`, `${base}/?lang=en`, `${base}/bulletins/1`, `${base}/lookup?type=phone&value=${PUBLIC_BANS[1].value}`]) {
      await narrow.navigate(url);
      const widths = await narrow.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
      check(widths[0] <= widths[1], `${url.replace(/value=.*/, 'value=…')}: no horizontal scroll at 360px (${widths})`);
    }
    await narrow.navigate(`${base}/`);
    const shot = await narrow.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    writeFileSync(join(out_dir, 'notice-narrow.png'), Buffer.from(shot.data, 'base64'));

    // 6. Nothing went wrong in any page: no dialog, no console error, no CSP report.
    check(dialogs.length === 0, `no dialog opened (${dialogs.join(' | ')})`);
    check(problems.length === 0, `no console errors or CSP violations:\n  ${problems.join('\n  ')}`);
    // 7. No raw identifier in the server's log either.
    for (const raw of RAW_VALUES) check(!server_log.includes(raw), 'server log: no raw identifier');
  } finally {
    if (b) await b.close();
    server.kill('SIGTERM');
    await new Promise((r) => { if (server.exitCode !== null) r(); else server.on('exit', r); });
    rmSync(data, { recursive: true, force: true });
  }
  console.log(`${checks - failures.length}/${checks} checks passed; screenshots in ${out_dir}`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
