// The v1 API end to end against a real redis-server: ban, check, lift,
// idempotency, reads, batch checks, bad input.
#include <catch2/catch.hpp>

#include <thread>

#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
using sdk::identifier_type;

namespace {

std::uint64_t json_uint(const http_reply& reply, const char* pointer) {
  std::uint64_t v = 0;
  if (reply.json().at_pointer(pointer).get(v))
    throw std::runtime_error(std::string("no ") + pointer);
  return v;
}

}  // namespace

TEST_CASE("ban, check, lift, check", "[http][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::string fp = fp_of(identifier_type::email, "Scammer@Example.com");

  auto before = c.get("/v1/check?type=email&value=scammer%40example.com", partner);
  REQUIRE(before.status == 200);
  CHECK(json_string(before, "/fp") == fp);
  CHECK_FALSE(json_bool(before, "/banned", true));

  auto ban = c.post("/v1/bans", mod,
                    R"({"type":"email","value":" Scammer@Example.com ","reason":"phishing",)"
                    R"("note":"case 17","case_id":"C-17","public":true})");
  REQUIRE(ban.status == 201);
  CHECK(json_string(ban, "/fp") == fp);
  CHECK(json_string(ban, "/value") == "scammer@example.com");
  CHECK(json_string(ban, "/masked").find('*') != std::string::npos);
  CHECK(json_bool(ban, "/created"));
  const std::uint64_t seq = json_uint(ban, "/seq");
  CHECK(seq >= 1);

  auto after = c.get("/v1/check?type=email&value=SCAMMER%40example.com", partner);
  REQUIRE(after.status == 200);
  CHECK(json_bool(after, "/banned"));
  CHECK(json_string(after, "/reason") == "phishing");
  CHECK_FALSE(json_string(after, "/since").empty());
  CHECK(after.body.find("scammer@") == std::string::npos);  // partners never see the value
  auto by_fp = c.get("/v1/check?fp=" + fp, partner);
  CHECK(json_bool(by_fp, "/banned"));

  auto record = c.get("/v1/bans/" + fp, mod);
  REQUIRE(record.status == 200);
  CHECK(json_string(record, "/value") == "scammer@example.com");
  CHECK(json_string(record, "/case_id") == "C-17");
  CHECK(json_string(record, "/status") == "banned");

  auto lift = c.del("/v1/bans/" + fp + "?reason=appeal_granted", mod);
  REQUIRE(lift.status == 200);
  CHECK(json_string(lift, "/fp") == fp);
  CHECK(json_uint(lift, "/seq") > seq);

  auto lifted = c.get("/v1/check?fp=" + fp, partner);
  REQUIRE(lifted.status == 200);
  CHECK_FALSE(json_bool(lifted, "/banned", true));
  auto again = c.del("/v1/bans/" + fp, mod);
  CHECK(again.status == 404);
  CHECK(again.error_code() == "not_banned");
}

TEST_CASE("re-banning is idempotent: 200, same seq, no new change", "[http][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const std::string body = R"({"type":"email","value":"dup@example.com","reason":"phishing"})";
  auto first = c.post("/v1/bans", mod, body);
  REQUIRE(first.status == 201);
  auto second = c.post("/v1/bans", mod, body);
  REQUIRE(second.status == 200);
  CHECK_FALSE(json_bool(second, "/created", true));
  CHECK(json_uint(second, "/seq") == json_uint(first, "/seq"));
  // The filter follows the log to the newest seq, which the re-ban did not move.
  for (int i = 0; i < 100 && json_uint(c.get("/readyz"), "/seq") < json_uint(first, "/seq"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(json_uint(c.get("/readyz"), "/seq") == json_uint(first, "/seq"));
}

TEST_CASE("list bans with filters and a cursor, audit records who did it", "[http][redis]") {
  service_fixture f;
  std::string mod_id;
  const std::string mod = f.issue_key("moderator", &mod_id);
  auto c = f.client();
  for (int i = 0; i < 5; ++i) {
    const std::string reason = i % 2 ? "spam" : "phishing";
    auto r = c.post("/v1/bans", mod,
                    R"({"type":"email","value":"u)" + std::to_string(i) +
                        R"(@example.com","reason":")" + reason + R"("})");
    REQUIRE(r.status == 201);
  }
  REQUIRE(c.post("/v1/bans", mod, R"({"type":"domain","value":"scam.example","reason":"phishing"})")
              .status == 201);

  auto page1 = c.get("/v1/bans?type=email&limit=2", mod);
  REQUIRE(page1.status == 200);
  simdjson::dom::array items;
  REQUIRE_FALSE(page1.json()["items"].get(items));
  CHECK(items.size() == 2);
  const std::string cursor = json_string(page1, "/next_cursor");
  REQUIRE_FALSE(cursor.empty());
  std::size_t total = items.size();
  std::string next = cursor;
  while (!next.empty()) {
    auto page = c.get("/v1/bans?type=email&limit=2&cursor=" + next, mod);
    REQUIRE(page.status == 200);
    simdjson::dom::array more;
    REQUIRE_FALSE(page.json()["items"].get(more));
    total += more.size();
    next = json_string(page, "/next_cursor");
  }
  CHECK(total == 5);

  auto spam = c.get("/v1/bans?reason=spam", mod);
  REQUIRE_FALSE(spam.json()["items"].get(items));
  CHECK(items.size() == 2);
  CHECK(c.get("/v1/bans?type=nonsense", mod).status == 400);
  CHECK(c.get("/v1/bans?limit=0", mod).status == 400);
  CHECK(c.get("/v1/bans?bogus=1", mod).status == 400);

  auto audit = c.get("/v1/audit?limit=50", mod);
  REQUIRE(audit.status == 200);
  simdjson::dom::array entries;
  REQUIRE_FALSE(audit.json()["entries"].get(entries));
  std::size_t bans_by_mod = 0;
  for (auto e : entries) {
    std::string_view action, key_id;
    if (!e["action"].get(action) && !e["key_id"].get(key_id) && action == "ban" &&
        key_id == mod_id) {
      ++bans_by_mod;
    }
  }
  CHECK(bans_by_mod == 6);
  CHECK(audit.body.find("u0@example.com") == std::string::npos);
}

TEST_CASE("batch check mixes values, fingerprints and per-item errors", "[http][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  REQUIRE(
      c.post("/v1/bans", mod, R"({"type":"email","value":"bad@example.com","reason":"phishing"})")
          .status == 201);
  const std::string fp = fp_of(identifier_type::email, "bad@example.com");
  auto r = c.post("/v1/check", partner,
                  R"({"items":[{"type":"email","value":"BAD@example.com"},)"
                  R"({"type":"email","value":"good@example.com"},{"fp":")" +
                      fp +
                      R"("},)"
                      R"({"type":"bank_card","value":"4111111111111112"},{"fp":"xyz"}]})");
  REQUIRE(r.status == 200);
  simdjson::dom::array results;
  REQUIRE_FALSE(r.json()["results"].get(results));
  REQUIRE(results.size() == 5);
  bool banned = false;
  std::string_view code;
  CHECK((!results.at(0)["banned"].get(banned) && banned));
  CHECK((!results.at(1)["banned"].get(banned) && !banned));
  CHECK((!results.at(2)["banned"].get(banned) && banned));
  CHECK((!results.at(3)["error"]["code"].get(code) && code == "invalid_identifier"));
  CHECK((!results.at(4)["error"]["code"].get(code) && code == "invalid_fingerprint"));
  // Each answer names its fingerprint and a seq; a miss carries nothing else.
  std::uint64_t top_seq = 0, seq = 0;
  REQUIRE_FALSE(r.json()["seq"].get(top_seq));
  std::string_view answered_fp, reason;
  CHECK((!results.at(0)["fp"].get(answered_fp) && answered_fp == fp));
  CHECK((!results.at(0)["reason"].get(reason) && reason == "phishing"));
  CHECK((!results.at(1)["fp"].get(answered_fp) &&
         answered_fp == fp_of(identifier_type::email, "good@example.com")));
  CHECK((!results.at(1)["seq"].get(seq) && seq == top_seq));
  simdjson::dom::object miss;
  REQUIRE_FALSE(results.at(1).get(miss));
  CHECK(miss.size() == 3);  // fp, banned, seq

  // The answer is written in one pass sized beforehand: an empty batch, and
  // one that starts with an error and ends with a hit, are whole JSON too.
  auto empty = c.post("/v1/check", partner, R"({"items":[]})");
  REQUIRE(empty.status == 200);
  REQUIRE_FALSE(empty.json()["results"].get(results));
  CHECK(results.size() == 0);
  auto edges = c.post("/v1/check", partner,
                      R"({"items":[{"fp":"xyz"},{"type":"email","value":"good@example.com"},)"
                      R"({"fp":")" +
                          fp + R"("}]})");
  REQUIRE(edges.status == 200);
  REQUIRE_FALSE(edges.json()["results"].get(results));
  REQUIRE(results.size() == 3);
  CHECK((!results.at(0)["error"]["code"].get(code) && code == "invalid_fingerprint"));
  CHECK((!results.at(1)["banned"].get(banned) && !banned));
  CHECK((!results.at(2)["banned"].get(banned) && banned));
  CHECK(edges.body.back() == '}');
}

TEST_CASE("bad input is a 400 that names the problem and changes nothing", "[http][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  auto malformed = c.post("/v1/bans", mod, R"({"type":"email",)");
  CHECK(malformed.status == 400);
  CHECK(malformed.error_code() == "malformed_json");
  auto unknown =
      c.post("/v1/bans", mod,
             R"({"type":"email","value":"a@example.com","reason":"spam","colour":"red"})");
  CHECK(unknown.status == 400);
  CHECK(unknown.error_code() == "unknown_field");
  CHECK(unknown.body.find("colour") != std::string::npos);
  auto luhn = c.post("/v1/bans", mod,
                     R"({"type":"bank_card","value":"4111111111111112","reason":"phishing"})");
  CHECK(luhn.status == 400);
  CHECK(luhn.error_code() == "invalid_identifier");
  CHECK_FALSE(json_string(luhn, "/error/rule").empty());
  auto type = c.post("/v1/bans", mod, R"({"type":"pager","value":"1","reason":"phishing"})");
  CHECK(type.error_code() == "invalid_type");
  auto missing = c.post("/v1/bans", mod, R"({"type":"email","value":"a@example.com"})");
  CHECK(missing.error_code() == "missing_field");
  auto wrong_type = c.post(
      "/v1/bans", mod, R"({"type":"email","value":"a@example.com","reason":"spam","public":1})");
  CHECK(wrong_type.error_code() == "invalid_field");
  CHECK(c.post("/v1/bans", mod, "[]").status == 400);
  CHECK(c.get("/v1/check?type=email", partner).status == 400);
  CHECK(c.get("/v1/check?fp=zz", partner).status == 400);
  CHECK(c.get("/v1/check?fp=" + std::string(32, '0') + "&extra=1", partner).status == 400);
  CHECK(c.get("/v1/bans/not-a-fingerprint", mod).status == 400);
  CHECK(c.post("/v1/check", partner, R"({"items":[{"fp":"00","x":1}]})").status == 400);
  CHECK(c.post("/v1/keys", kAdminKey, R"({"role":"king","name":"x"})").status == 400);
  // Nothing above was stored.
  auto list = c.get("/v1/bans", mod);
  simdjson::dom::array items;
  REQUIRE_FALSE(list.json()["items"].get(items));
  CHECK(items.size() == 0);
}

TEST_CASE("request ids, ops routes and metrics", "[http][redis]") {
  service_fixture f;
  auto c = f.client();
  auto echoed =
      c.request(boost::beast::http::verb::get, "/healthz", "", "", {{"X-Request-Id", "trace-42"}});
  CHECK(echoed.status == 200);
  CHECK(echoed.header("x-request-id") == "trace-42");
  auto generated = c.get("/healthz");
  CHECK(generated.header("x-request-id").size() == 16);
  auto ready = c.get("/readyz");
  CHECK(ready.status == 200);
  auto missing = c.get("/v1/nowhere");
  CHECK(missing.status == 404);
  CHECK(missing.error_code() == "not_found");
  CHECK_FALSE(missing.header("x-request-id").empty());
  auto wrong = c.request(boost::beast::http::verb::put, "/v1/bans", kAdminKey);
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "POST, GET");
  auto metrics = c.get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find(
            R"(banlist_http_requests_total{method="GET",route="/healthz",status="200"} 2)") !=
        std::string::npos);
  CHECK(metrics.body.find("banlist_http_request_duration_seconds_bucket") != std::string::npos);
  CHECK(metrics.body.find("banlist_filter_bits") != std::string::npos);
  CHECK(metrics.body.find("banlist_filter_estimated_fp_rate") != std::string::npos);
  CHECK(metrics.body.find("banlist_seq") != std::string::npos);
}

TEST_CASE("a ban through one instance reaches another's filter", "[http][redis]") {
  service_fixture a;
  auto tweak_b = [&](service::service_config& c) { c.redis_url = a.redis().url(); };
  service_fixture b(tweak_b);  // its own (unused) redis, then pointed at a's
  const std::string mod = a.issue_key("moderator");
  const std::string partner = a.issue_key("partner");
  auto ca = a.client();
  auto cb = b.client();
  REQUIRE(
      ca.post("/v1/bans", mod, R"({"type":"domain","value":"evil.example","reason":"phishing"})")
          .status == 201);
  const std::string fp = fp_of(identifier_type::domain, "evil.example");
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    auto r = cb.get("/v1/check?fp=" + fp, partner);
    REQUIRE(r.status == 200);
    seen = json_bool(r, "/banned");
    if (!seen)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(seen);
}
