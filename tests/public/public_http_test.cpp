// The public pages, lookup, bulletins and feed end to end against a real
// redis-server and an in-process banlistd (issue 6; docs/public.md).
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
using boost::beast::http::verb;
using sdk::identifier_type;

namespace {

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string ban(http_client& c, const std::string& key, const std::string& type,
                const std::string& value, const std::string& reason, bool is_public,
                const std::string& extra = "") {
  auto r = c.post("/v1/bans", key,
                  R"({"type":")" + type + R"(","value":")" + value + R"(","reason":")" + reason +
                      R"(","public":)" + (is_public ? "true" : "false") + extra + "}");
  REQUIRE(r.status == 201);
  return json_string(r, "/fp");
}

http_reply get_with(http_client& c, const std::string& target,
                    const std::map<std::string, std::string>& headers) {
  return c.request(verb::get, target, "", "", headers);
}

// A small XML well-formedness check: tags nest and close in order, the
// root is single, text has no raw '<', and every '&' starts a known entity.
bool well_formed_xml(const std::string& doc, std::string* why) {
  std::vector<std::string> open;
  std::size_t i = 0;
  bool root_seen = false;
  if (doc.rfind("<?xml", 0) == 0)
    i = doc.find("?>") + 2;
  while (i < doc.size()) {
    if (doc[i] == '<') {
      const auto end = doc.find('>', i);
      if (end == std::string::npos)
        return *why = "unterminated tag", false;
      std::string tag = doc.substr(i + 1, end - i - 1);
      if (tag.find('<') != std::string::npos)
        return *why = "'<' inside a tag", false;
      if (!tag.empty() && tag[0] == '/') {
        const std::string name = tag.substr(1);
        if (open.empty() || open.back() != name)
          return *why = "mismatched </" + name + ">", false;
        open.pop_back();
      } else {
        const bool self_closing = !tag.empty() && tag.back() == '/';
        const std::string name = tag.substr(0, tag.find_first_of(" /"));
        if (open.empty()) {
          if (root_seen)
            return *why = "second root element", false;
          root_seen = true;
        }
        if (!self_closing)
          open.push_back(name);
      }
      i = end + 1;
    } else if (doc[i] == '&') {
      const auto semi = doc.find(';', i);
      const std::string entity = semi == std::string::npos ? "" : doc.substr(i, semi - i + 1);
      static const std::set<std::string> known{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
      if (!known.count(entity))
        return *why = "bad entity at " + std::to_string(i), false;
      i = semi + 1;
    } else {
      if (open.empty() && doc[i] != '\n' && doc[i] != ' ')
        return *why = "text outside the root", false;
      ++i;
    }
  }
  if (!open.empty())
    return *why = "unclosed <" + open.back() + ">", false;
  return root_seen;
}

}  // namespace

TEST_CASE("notice page: public bans masked, zh and en, headers, ETag, lift leaves",
          "[public][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const std::string fp1 = ban(c, mod, "email", "alice.scam@pub-one.example", "phishing", true,
                              R"(,"case_id":"C-1","source":"shop.example")");
  ban(c, mod, "phone", "13800138000", "telecom_fraud", true);
  ban(c, mod, "email", "bob.quiet@hidden.example", "spam", false);

  auto zh = c.get("/");
  REQUIRE(zh.status == 200);
  CHECK(zh.header("content-type") == "text/html; charset=utf-8");
  CHECK(zh.body.find("<html lang=\"zh-CN\">") != std::string::npos);
  CHECK(zh.body.find("被封禁账号公示") != std::string::npos);
  CHECK(zh.body.find("138****8000") != std::string::npos);
  CHECK(zh.body.find("@pub-one.example") != std::string::npos);
  CHECK(zh.body.find("C-1") != std::string::npos);
  CHECK(zh.body.find("shop.example") != std::string::npos);
  CHECK(zh.body.find("钓鱼") != std::string::npos);
  // Never a raw identifier, never a non-public ban, never a fingerprint.
  CHECK(zh.body.find("alice.scam") == std::string::npos);
  CHECK(zh.body.find("13800138000") == std::string::npos);
  CHECK(zh.body.find("hidden.example") == std::string::npos);
  CHECK(zh.body.find(fp1) == std::string::npos);
  CHECK(count_of(zh.body, "<th scope=\"row\"") == 2);
  CHECK(zh.body.find("<label for=\"lookup-value\">") != std::string::npos);
  CHECK(zh.body.find("<script") == std::string::npos);
  CHECK(zh.body.find("style=") == std::string::npos);

  const std::string csp = zh.header("content-security-policy");
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("style-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(zh.header("x-content-type-options") == "nosniff");
  CHECK(zh.header("referrer-policy") == "no-referrer");
  CHECK(zh.header("cache-control") == "public, max-age=10");
  const std::string etag = zh.header("etag");
  REQUIRE(etag.size() == 18);

  auto en = c.get("/?lang=en");
  REQUIRE(en.status == 200);
  CHECK(en.body.find("<html lang=\"en\">") != std::string::npos);
  CHECK(en.body.find("Accounts banned for fraud") != std::string::npos);
  CHECK(en.body.find("Phishing") != std::string::npos);
  auto by_header = get_with(c, "/", {{"Accept-Language", "en-US,en;q=0.9"}});
  CHECK(by_header.body.find("<html lang=\"en\">") != std::string::npos);
  CHECK(by_header.header("vary") == "Accept-Language");
  auto offenders = c.get("/offenders?lang=en");
  CHECK(offenders.status == 200);
  CHECK(offenders.body.find("138****8000") != std::string::npos);

  for (const std::string filter :
       {"?type=email", "?reason=phishing", "?type=email&reason=phishing"}) {
    INFO(filter);
    CHECK(c.get("/" + filter).body.find("@pub-one.example") != std::string::npos);
  }
  CHECK(c.get("/?type=phone&reason=phishing").body.find("@pub-one.example") == std::string::npos);

  // Revalidation: same version -> 304 without a body.
  auto same = get_with(c, "/", {{"If-None-Match", etag}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(same.header("etag") == etag);
  CHECK(get_with(c, "/", {{"If-None-Match", "\"0000000000000000\""}}).status == 200);

  // A lifted ban leaves the page, and the page changes its ETag.
  REQUIRE(c.del("/v1/bans/" + fp1 + "?reason=appeal_granted", mod).status == 200);
  auto after = get_with(c, "/", {{"If-None-Match", etag}});
  REQUIRE(after.status == 200);
  CHECK(after.header("etag") != etag);
  CHECK(after.body.find("@pub-one.example") == std::string::npos);
  CHECK(after.body.find("138****8000") != std::string::npos);
  // ...from every filtered view too (all four notice indexes).
  for (const std::string filter :
       {"?type=email", "?reason=phishing", "?type=email&reason=phishing"}) {
    INFO(filter);
    auto view = c.get("/" + filter);
    REQUIRE(view.status == 200);
    CHECK(view.body.find("@pub-one.example") == std::string::npos);
  }
  auto gone = c.get("/v1/public/lookup?type=email&value=alice.scam%40pub-one.example");
  CHECK(gone.body.find("\"listed\":false") != std::string::npos);
  // Re-banned publicly: back on the page.
  ban(c, mod, "email", "alice.scam@pub-one.example", "phishing", true);
  CHECK(c.get("/").body.find("@pub-one.example") != std::string::npos);
}

TEST_CASE("notice page: cursor pagination and filters read one index each", "[public][redis]") {
  service_fixture f([](service::service_config& cfg) { cfg.public_lookup_per_minute = 0; });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  // 55 public phones (phishing and telecom_fraud alternating), 3 public
  // e-mails (spam) and 2 non-public phones.
  for (int i = 0; i < 55; ++i) {
    ban(c, mod, "phone", "139" + std::to_string(10000000 + i),
        i % 2 == 0 ? "phishing" : "telecom_fraud", true);
  }
  for (int i = 0; i < 3; ++i)
    ban(c, mod, "email", "spam" + std::to_string(i) + "@mail.example", "spam", true);
  for (int i = 0; i < 2; ++i)
    ban(c, mod, "phone", "137" + std::to_string(10000000 + i), "phishing", false);

  auto first = c.get("/?lang=en");
  REQUIRE(first.status == 200);
  CHECK(count_of(first.body, "<th scope=\"row\"") == 50);
  std::smatch m;
  REQUIRE(std::regex_search(first.body, m, std::regex("href=\"/\\?cursor=([0-9]+)&amp;lang=en\"")));
  auto second = c.get("/?cursor=" + m[1].str() + "&lang=en");
  REQUIRE(second.status == 200);
  CHECK(count_of(second.body, "<th scope=\"row\"") == 8);
  CHECK(second.body.find("rel=\"next\"") == std::string::npos);
  CHECK(second.body.find("137****") == std::string::npos);  // non-public never shown

  auto phishing_phones = c.get("/?type=phone&reason=phishing");
  CHECK(count_of(phishing_phones.body, "<th scope=\"row\"") == 28);
  auto spam = c.get("/?reason=spam");
  CHECK(count_of(spam.body, "<th scope=\"row\"") == 3);
  auto emails = c.get("/?type=email");
  CHECK(count_of(emails.body, "<th scope=\"row\"") == 3);
  CHECK(emails.body.find("<option value=\"email\" selected>") != std::string::npos);

  // The JSON twin, walked to the end without overlap.
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page =
        c.get("/v1/public/offenders?limit=20" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(page.status == 200);
    CHECK(page.body.find("\"fp\"") == std::string::npos);
    for (auto item : page.json()["items"].get_array()) {
      std::string_view masked = item["masked"].get_string().value();
      std::uint64_t pos = item["cursor"].get_uint64().value();
      CHECK(seen.insert(std::string(masked) + "#" + std::to_string(pos)).second);
    }
    simdjson::dom::element next = page.json()["next_cursor"];
    cursor = next.is_null() ? "" : std::string(next.get_string().value());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen.size() == 58);
  CHECK(pages == 3);

  CHECK(c.get("/?type=fax").status == 400);
  CHECK(c.get("/?reason=nonsense").status == 400);
  CHECK(c.get("/?cursor=abc").status == 400);
  CHECK(c.get("/?color=red").status == 400);
  CHECK(c.get("/v1/public/offenders?limit=500").status == 400);
  CHECK(c.get("/v1/public/offenders?type=fax").status == 400);
}

TEST_CASE("public lookup: listed, not listed, non-public not disclosed", "[public][redis]") {
  service_fixture f([](service::service_config& cfg) { cfg.public_lookup_per_minute = 0; });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  ban(c, mod, "phone", "13900001111", "loan_fraud", true, R"(,"case_id":"K-9")");
  ban(c, mod, "phone", "13900002222", "loan_fraud", false);

  auto listed = c.get("/v1/public/lookup?type=phone&value=%2B86%20139%200000%201111");
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find("\"listed\":true") != std::string::npos);
  CHECK(json_string(listed, "/masked") == "139****1111");
  CHECK(json_string(listed, "/reason") == "loan_fraud");
  CHECK(json_string(listed, "/case_id") == "K-9");
  CHECK_FALSE(json_string(listed, "/banned_at").empty());
  CHECK(listed.body.find("13900001111") == std::string::npos);
  CHECK(listed.header("cache-control") == "no-store");

  auto hidden = c.get("/v1/public/lookup?type=phone&value=13900002222");
  auto unknown = c.get("/v1/public/lookup?type=phone&value=13900003333");
  REQUIRE(hidden.status == 200);
  CHECK(hidden.body.find("\"listed\":false") != std::string::npos);
  CHECK(hidden.body.find("reason") == std::string::npos);
  // A non-public ban answers exactly like an unknown account (bar the mask).
  CHECK(hidden.body.size() == unknown.body.size());

  CHECK(c.get("/v1/public/lookup?type=phone&value=12").error_code() == "invalid_identifier");
  CHECK(c.get("/v1/public/lookup?type=fax&value=1").error_code() == "invalid_type");
  CHECK(c.get("/v1/public/lookup?type=phone").error_code() == "missing_parameter");
  CHECK(c.get("/v1/public/lookup?type=phone&value=" + std::string(300, '1')).status == 400);

  auto page = c.get("/lookup?type=phone&value=13900001111&lang=en");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("status listed") != std::string::npos);
  CHECK(page.body.find("139****1111") != std::string::npos);
  CHECK(page.body.find("13900001111") == std::string::npos);  // not even echoed in the form
  CHECK(page.header("cache-control") == "no-store");
  auto not_listed = c.get("/lookup?type=phone&value=13900002222&lang=en");
  CHECK(not_listed.body.find("status clear") != std::string::npos);
  CHECK(not_listed.body.find("139****2222") == std::string::npos);
  auto invalid = c.get("/lookup?type=phone&value=abc&lang=en");
  CHECK(invalid.status == 400);
  CHECK(invalid.body.find("status invalid") != std::string::npos);
  auto form = c.get("/lookup");
  CHECK(form.status == 200);
  CHECK(form.body.find("action=\"/lookup\"") != std::string::npos);
}

TEST_CASE("rate limit: 429 with Retry-After after the burst, across keep-alive",
          "[public][redis]") {
  service_fixture f;  // defaults: 30 a minute, burst 10
  auto c = f.client();
  for (int i = 0; i < 10; ++i) {
    auto r = c.get("/v1/public/lookup?type=phone&value=1390000" + std::to_string(1000 + i));
    REQUIRE(r.status == 200);
    CHECK_FALSE(r.closed);  // one keep-alive connection throughout
  }
  auto limited = c.get("/v1/public/lookup?type=phone&value=13900009999");
  REQUIRE(limited.status == 429);
  CHECK(limited.error_code() == "rate_limited");
  const int retry = std::stoi(limited.header("retry-after"));
  CHECK(retry >= 1);
  CHECK(retry <= 2);
  CHECK_FALSE(limited.closed);
  // Same connection, other limited routes share the bucket.
  CHECK(c.get("/v1/public/offenders").status == 429);
  auto html = c.get("/lookup?type=phone&value=13900009999&lang=en");
  CHECK(html.status == 429);
  CHECK(html.header("content-type") == "text/html; charset=utf-8");
  CHECK_FALSE(html.header("retry-after").empty());
  // A new connection from the same address is limited too.
  auto other = f.client();
  CHECK(other.get("/v1/public/lookup?type=phone&value=13900009999").status == 429);
  // Pages have their own, larger bucket.
  CHECK(c.get("/").status == 200);
}

TEST_CASE("rate limit: configurable, and the page limiter too", "[public][redis]") {
  service_fixture f([](service::service_config& cfg) {
    cfg.public_lookup_burst = 3;
    cfg.public_page_burst = 2;
    // One token a minute: the bursts run dry however slowly the requests go
    // (the default 600 a minute refilled a page token during a slow -O0 run).
    cfg.public_lookup_per_minute = 1;
    cfg.public_page_per_minute = 1;
  });
  auto c = f.client();
  for (int i = 0; i < 3; ++i)
    CHECK(c.get("/v1/public/lookup?type=phone&value=13900001234").status == 200);
  CHECK(c.get("/v1/public/lookup?type=phone&value=13900001234").status == 429);
  CHECK(c.get("/").status == 200);
  CHECK(c.get("/bulletins").status == 200);
  auto limited = c.get("/");
  CHECK(limited.status == 429);
  CHECK_FALSE(limited.header("retry-after").empty());
  CHECK(c.get("/feed.atom").status == 429);
}

TEST_CASE("bulletins: publish, read, edit, withdraw, audited, roles", "[public][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::string fp_public = ban(c, mod, "phone", "13700001111", "task_scam", true);
  const std::string fp_hidden = ban(c, mod, "phone", "13700002222", "task_scam", false);

  auto created = c.post("/v1/bulletins", mod,
                        R"({"title":"刷单返利骗局","body":"第一段。\n第二行。\n\n第二段。",)"
                        R"("linked_bans":[")" +
                            fp_public + R"(",")" + fp_hidden + R"("]})");
  REQUIRE(created.status == 201);
  const std::string id = json_string(created, "/id");
  CHECK(id == "1");
  CHECK(json_string(created, "/status") == "published");
  CHECK(json_string(created, "/title") == "刷单返利骗局");
  CHECK(json_string(created, "/body") == "第一段。\n第二行。\n\n第二段。");
  CHECK(created.json()["linked_bans"].get_array().size() == 2);
  CHECK_FALSE(json_string(created, "/created_at").empty());
  CHECK(json_string(created, "/created_at") == json_string(created, "/updated_at"));

  // Public JSON: only the public linked ban, masked.
  auto one = c.get("/v1/bulletins/" + id);
  REQUIRE(one.status == 200);
  CHECK(one.json()["linked_bans"].get_array().size() == 1);
  CHECK(one.body.find(fp_hidden) == std::string::npos);
  CHECK(one.body.find("137****1111") != std::string::npos);
  CHECK(one.body.find("137****2222") == std::string::npos);
  auto list = c.get("/v1/bulletins");
  REQUIRE(list.status == 200);
  CHECK(list.json()["items"].get_array().size() == 1);
  CHECK(list.json()["next_cursor"].is_null());

  // HTML: paragraphs, line breaks, linked ban masked only if public.
  auto page = c.get("/bulletins/" + id + "?lang=en");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<p>第一段。<br>第二行。</p>") != std::string::npos);
  CHECK(page.body.find("<p>第二段。</p>") != std::string::npos);
  CHECK(page.body.find("137****1111") != std::string::npos);
  CHECK(page.body.find("137****2222") == std::string::npos);
  CHECK(page.body.find("13700001111") == std::string::npos);
  auto index = c.get("/bulletins");
  CHECK(index.body.find("href=\"/bulletins/1?lang=zh\"") != std::string::npos);

  auto edited = c.request(verb::put, "/v1/bulletins/" + id, mod,
                          R"({"title":"Edited title","body":"New body."})");
  REQUIRE(edited.status == 200);
  CHECK(json_string(edited, "/title") == "Edited title");
  CHECK(edited.json()["linked_bans"].get_array().size() == 0);
  CHECK(c.get("/bulletins/" + id).body.find("Edited title") != std::string::npos);

  CHECK(c.post("/v1/bulletins", partner, R"({"title":"t","body":"b"})").status == 403);
  CHECK(c.post("/v1/bulletins", "", R"({"title":"t","body":"b"})").status == 401);
  CHECK(c.del("/v1/bulletins/" + id, partner).status == 403);

  auto withdrawn = c.del("/v1/bulletins/" + id, mod);
  REQUIRE(withdrawn.status == 200);
  CHECK(withdrawn.body == R"({"id":"1","status":"withdrawn"})");
  CHECK(c.get("/v1/bulletins/" + id).status == 404);
  CHECK(c.get("/bulletins/" + id).status == 404);
  CHECK(c.get("/v1/bulletins").json()["items"].get_array().size() == 0);
  CHECK(c.del("/v1/bulletins/" + id, mod).status == 404);
  CHECK(c.request(verb::put, "/v1/bulletins/" + id, mod, R"({"title":"x","body":"y"})").status ==
        404);
  CHECK(c.del("/v1/bulletins/99", mod).status == 404);
  CHECK(c.del("/v1/bulletins/abc", mod).status == 404);
  CHECK(c.get("/v1/bulletins/99").status == 404);

  auto audit = c.get("/v1/audit?limit=20", mod);
  REQUIRE(audit.status == 200);
  CHECK(audit.body.find("\"action\":\"bulletin_publish\"") != std::string::npos);
  CHECK(audit.body.find("\"action\":\"bulletin_edit\"") != std::string::npos);
  CHECK(audit.body.find("\"action\":\"bulletin_withdraw\"") != std::string::npos);
  CHECK(audit.body.find("\"target\":\"bulletin:1\"") != std::string::npos);
}

TEST_CASE("bulletins: limits and bad input are 400 and store nothing", "[public][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  auto post = [&](const std::string& body) { return c.post("/v1/bulletins", mod, body); };
  CHECK(post(R"({"title":")" + std::string(201, 'a') + R"(","body":"b"})").error_code() ==
        "invalid_title");
  CHECK(post(R"({"title":")" + std::string(200, 'a') + R"(","body":"b"})").status == 201);
  CHECK(post(R"({"title":"","body":"b"})").error_code() == "invalid_title");
  CHECK(post(R"({"title":"   ","body":"b"})").error_code() == "invalid_title");
  CHECK(post(R"({"title":"two\nlines","body":"b"})").error_code() == "invalid_title");
  CHECK(post(R"({"title":"t","body":")" + std::string(20001, 'b') + R"("})").error_code() ==
        "invalid_body");
  CHECK(post(R"({"title":"t","body":")" + std::string(20000, 'b') + R"("})").status == 201);
  CHECK(post(R"({"title":"t","body":"bell\u0007"})").error_code() == "invalid_body");
  CHECK(post(R"({"title":"t","body":"\n\n"})").error_code() == "invalid_body");
  CHECK(post(R"({"title":"t"})").error_code() == "missing_field");
  CHECK(post(R"({"title":"t","body":"b","html":"<b>"})").error_code() == "unknown_field");
  CHECK(post(R"({"title":"t","body":"b","linked_bans":["xyz"]})").error_code() ==
        "invalid_fingerprint");
  CHECK(post(R"({"title":"t","body":"b","linked_bans":"abc"})").error_code() == "invalid_field");
  std::string many = R"({"title":"t","body":"b","linked_bans":[)";
  for (int i = 0; i < 51; ++i)
    many += std::string(i ? "," : "") + "\"" + std::string(31, '0') + std::to_string(i % 10) + "\"";
  CHECK(post(many + "]}").error_code() == "invalid_field");
  CHECK(post("{not json").error_code() == "malformed_json");
  CHECK(post(R"({"title":1,"body":"b"})").error_code() == "invalid_field");
  // Only the two valid posts were stored.
  auto list = c.get("/v1/bulletins");
  CHECK(list.json()["items"].get_array().size() == 2);
  CHECK(c.get("/v1/bulletins?limit=0").status == 400);
  CHECK(c.get("/v1/bulletins?cursor=x").status == 400);
}

TEST_CASE("XSS payloads render as inert text in pages and the feed", "[public][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const std::string payload_case = R"(\"><img src=x onerror=alert(1)>)";
  ban(c, mod, "email", "x1@xss.example", "phishing", true,
      R"(,"case_id":")" + payload_case +
          R"(","source":"<script>document.title='pwned'</script>",)"
          R"("note":"</title><script>alert(2)</script>")");
  auto b = c.post(
      "/v1/bulletins", mod,
      R"({"title":"</title><script>document.title='pwned'</script>",)"
      R"("body":"<a href=\"javascript:alert(3)\">click</a>\n\n<img src=x onerror=alert(4)>"})");
  REQUIRE(b.status == 201);

  for (const std::string target : {"/", "/bulletins", "/bulletins/1", "/feed.atom"}) {
    INFO(target);
    auto r = c.get(target);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("<script") == std::string::npos);
    CHECK(r.body.find("<img") == std::string::npos);
    CHECK(r.body.find("<a href=\"javascript") == std::string::npos);
    CHECK(r.body.find("</title><") == std::string::npos);
  }
  auto home = c.get("/");
  CHECK(home.body.find("&lt;script&gt;document.title=&apos;pwned&apos;&lt;/script&gt;") !=
        std::string::npos);
  CHECK(home.body.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(home.body.find("alert(2)") == std::string::npos);  // notes are never public
  auto page = c.get("/bulletins/1");
  CHECK(page.body.find("&lt;a href=&quot;javascript:alert(3)&quot;&gt;click&lt;/a&gt;") !=
        std::string::npos);
}

TEST_CASE("feed: Atom 1.0 with bans and bulletins, well-formed", "[public][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  ban(c, mod, "phone", "13600001111", "romance_scam", true, R"(,"source":"a & b <c>")");
  ban(c, mod, "phone", "13600002222", "romance_scam", false);
  REQUIRE(c.post("/v1/bulletins", mod, R"({"title":"Tom & Jerry's <scam>","body":"x"})").status ==
          201);
  auto feed = c.get("/feed.atom?lang=en");
  REQUIRE(feed.status == 200);
  CHECK(feed.header("content-type") == "application/atom+xml; charset=utf-8");
  CHECK(feed.body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0) == 0);
  std::string why;
  CHECK(well_formed_xml(feed.body, &why));
  INFO(why);
  CHECK(feed.body.find("<feed xmlns=\"http://www.w3.org/2005/Atom\"") != std::string::npos);
  CHECK(count_of(feed.body, "<entry>") == 2);
  CHECK(count_of(feed.body, "<id>") == 3);
  CHECK(count_of(feed.body, "<updated>") == 3);
  CHECK(count_of(feed.body, "<title>") == 3);
  CHECK(feed.body.find("<link rel=\"self\"") != std::string::npos);
  CHECK(feed.body.find("<author><name>") != std::string::npos);
  CHECK(feed.body.find("136****1111") != std::string::npos);
  CHECK(feed.body.find("136****2222") == std::string::npos);
  CHECK(feed.body.find("13600001111") == std::string::npos);
  CHECK(feed.body.find("Tom &amp; Jerry&apos;s &lt;scam&gt;") != std::string::npos);
  CHECK(feed.body.find("a &amp; b &lt;c&gt;") != std::string::npos);
  const std::string etag = feed.header("etag");
  CHECK(get_with(c, "/feed.atom?lang=en", {{"If-None-Match", etag}}).status == 304);
  std::string bad;
  CHECK_FALSE(well_formed_xml("<a><b></a></b>", &bad));
  CHECK_FALSE(well_formed_xml("<a>x & y</a>", &bad));
}

TEST_CASE("stylesheet: content-hashed path, immutable, no other static files", "[public][redis]") {
  service_fixture f;
  auto c = f.client();
  auto home = c.get("/");
  std::smatch m;
  REQUIRE(std::regex_search(home.body, m,
                            std::regex("href=\"(/static/notice\\.[0-9a-f]{12}\\.css)\"")));
  auto css = c.get(m[1].str());
  REQUIRE(css.status == 200);
  CHECK(css.header("content-type") == "text/css; charset=utf-8");
  CHECK(css.header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(css.body.find("@media") != std::string::npos);
  CHECK(c.get("/static/notice.000000000000.css").status == 404);
  CHECK(c.get("/static/..%2fetc%2fpasswd").status == 404);
}

TEST_CASE("Redis down: public pages and bulletin writes answer 503, then recover",
          "[public][redis]") {
  service_fixture f(
      [](service::service_config& cfg) { cfg.redis_timeout = std::chrono::milliseconds(300); });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  ban(c, mod, "phone", "13500001111", "spam", true);
  REQUIRE(c.get("/").status == 200);
  f.redis().stop();
  auto page = c.get("/?lang=en");
  CHECK(page.status == 503);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("retry-after") == "1");
  CHECK(page.body.find("unavailable") != std::string::npos);
  CHECK(page.body.find("135****1111") == std::string::npos);  // no stale page
  CHECK(c.get("/bulletins").status == 503);
  CHECK(c.get("/feed.atom").status == 503);
  CHECK(c.get("/v1/public/offenders").status == 503);
  CHECK(c.get("/v1/public/lookup?type=phone&value=13500001111").status == 503);
  CHECK(c.post("/v1/bulletins", mod, R"({"title":"t","body":"b"})").status == 503);
  f.redis().restart();
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = c.get("/").status;
  }
  CHECK(status == 200);
  CHECK(c.get("/").body.find("135****1111") != std::string::npos);
}
