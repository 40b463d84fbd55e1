// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe:
// Chromium reads NUL-terminated JSON messages on fd 3 and writes them on
// fd 4. No npm packages and no network: only Node's standard library.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class browser {
  static async launch(executable) {
    const profile = mkdtempSync(join(tmpdir(), 'banlist-chromium-'));
    const proc = spawn(executable, [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
      '--no-first-run', '--no-default-browser-check', '--disable-extensions',
      '--disable-background-networking', '--disable-sync', '--disable-component-update',
      '--metrics-recording-only', '--mute-audio', `--user-data-dir=${profile}`, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const b = new browser(proc, profile);
    proc.stderr.on('data', (d) => { b.stderr += d.toString(); });
    return b;
  }

  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.stderr = '';
    this.next_id = 1;
    this.pending = new Map();
    this.listeners = [];
    this.buffer = '';
    proc.stdio[4].on('data', (chunk) => this.on_data(chunk));
    proc.on('exit', (code) => {
      for (const { reject } of this.pending.values())
        reject(new Error(`chromium exited (${code}): ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  on_data(chunk) {
    this.buffer += chunk.toString('utf8');
    let end;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!p) continue;
        if (message.error) p.reject(new Error(`${p.method}: ${message.error.message}`));
        else p.resolve(message.result);
      } else {
        for (const l of this.listeners) l(message);
      }
    }
  }

  send(method, params = {}, session_id = undefined) {
    const id = this.next_id++;
    const message = { id, method, params };
    if (session_id) message.sessionId = session_id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.proc.stdio[3].write(JSON.stringify(message) + '\0');
    });
  }

  on(listener) { this.listeners.push(listener); }

  async new_page() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    return new page(this, sessionId);
  }

  async close() {
    try { await this.send('Browser.close'); } catch { /* already gone */ }
    await new Promise((r) => { if (this.proc.exitCode !== null) r(); else this.proc.on('exit', r); });
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class page {
  constructor(b, session_id) {
    this.b = b;
    this.session = session_id;
    this.events = [];
    this.waiters = [];
    b.on((m) => {
      if (m.sessionId !== this.session) return;
      this.events.push(m);
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }

  send(method, params = {}) { return this.b.send(method, params, this.session); }

  wait_for(method, timeout_ms = 15000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${method}`)), timeout_ms);
      this.waiters.push((m) => {
        if (m.method !== method) return false;
        clearTimeout(timer);
        resolve(m.params);
        return true;
      });
    });
  }

  async navigate(url) {
    const loaded = this.wait_for('Page.loadEventFired');
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }

  // The serialized DOM, read through the DOM domain (works with scripts off).
  async html() {
    const { root } = await this.send('DOM.getDocument', { depth: -1 });
    const { outerHTML } = await this.send('DOM.getOuterHTML', { nodeId: root.nodeId });
    return outerHTML;
  }

  async query(selector) {
    const { root } = await this.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await this.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    return nodeId;
  }
}
