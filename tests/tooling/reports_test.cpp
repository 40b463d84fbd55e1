// Partner reports (issue 7, docs/admin-api.md) against a real Redis and an
// in-process banlistd: dedup, who may read what, accept -> ban (check,
// deltas, record link), reject, 409 on decided reports, and bad input that
// changes nothing.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "redis_peek.hpp"
#include "service_fixture.hpp"

namespace banlist::test {
namespace {

std::string report_body(const std::string& email, const std::string& evidence = "seen in mail") {
  return R"({"type":"email","value":")" + email + R"(","reason":"phishing","evidence":")" +
         evidence + R"("})";
}

std::uint64_t json_u64(const http_reply& r, const char* pointer) {
  std::uint64_t v = 0;
  if (r.json().at_pointer(pointer).get(v))
    return ~0ull;
  return v;
}

bool has_field(const http_reply& r, const char* pointer) {
  simdjson::dom::element e;
  return r.json().at_pointer(pointer).get(e) == simdjson::SUCCESS;
}

// Actions of the newest `n` audit entries, newest first.
std::vector<std::string> audit_actions(http_client& c, int n) {
  auto r = c.get("/v1/audit?limit=" + std::to_string(n), kAdminKey);
  REQUIRE(r.status == 200);
  std::vector<std::string> out;
  for (auto e : r.json()["entries"].get_array()) {
    std::string_view a;
    if (!e["action"].get(a))
      out.emplace_back(a);
  }
  return out;
}

std::size_t audit_size(service_fixture& f) {
  return static_cast<std::size_t>(redis_int(f.redis().endpoint(), {"XLEN", "bl:audit"}));
}

}  // namespace

TEST_CASE("reports are deduplicated per fingerprint while open, counting partners once",
          "[tooling][reports][redis]") {
  service_fixture f;
  std::string a_id, b_id;
  const std::string a = f.issue_key("partner", &a_id);
  const std::string b = f.issue_key("partner", &b_id);
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();

  auto first = c.post("/v1/reports", a, report_body("scammer@example.com", "mail from him"));
  REQUIRE(first.status == 201);
  const std::string id = json_string(first, "/id");
  CHECK(id == "1");
  CHECK(json_string(first, "/fp") == fp_of(sdk::identifier_type::email, "scammer@example.com"));
  CHECK(json_string(first, "/status") == "open");
  CHECK_FALSE(json_string(first, "/created_at").empty());
  CHECK(first.body.find("scammer") == std::string::npos);  // no raw value to partners

  // Another spelling of the same account from another partner joins it.
  auto second = c.post("/v1/reports", b, report_body("SCAMMER@example.com", "other text"));
  REQUIRE(second.status == 200);
  CHECK(json_string(second, "/id") == id);
  // The first partner filing again changes nothing.
  auto again = c.post("/v1/reports", a, report_body("scammer@example.com"));
  REQUIRE(again.status == 200);
  CHECK(json_string(again, "/id") == id);

  auto seen = c.get("/v1/reports/" + id, mod);
  REQUIRE(seen.status == 200);
  CHECK(json_u64(seen, "/reporters") == 2);
  CHECK(json_string(seen, "/reported_by/0") == a_id);
  CHECK(json_string(seen, "/reported_by/1") == b_id);
  CHECK(json_string(seen, "/evidence") == "mail from him");  // the first filer's
  CHECK(json_string(seen, "/type") == "email");
  CHECK(json_string(seen, "/reason") == "phishing");
  CHECK_FALSE(json_string(seen, "/masked").empty());
  CHECK_FALSE(has_field(seen, "/value"));
  CHECK(seen.body.find("scammer@") == std::string::npos);  // masked, never raw

  // One report stored; audited as one create and one join.
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:report_seq"}) == 1);
  CHECK(redis_int(f.redis().endpoint(), {"ZCARD", "bl:reports:open"}) == 1);
  CHECK(audit_actions(c, 2) == std::vector<std::string>{"report_join", "report_create"});
  // The raw value is kept for the ban, in the record only.
  auto stored = redis_cmd(f.redis().endpoint(), {"HGET", "bl:report:" + id, "value"});
  REQUIRE(stored.string());
  CHECK(*stored.string() == "scammer@example.com");

  // Compact: the record stays a listpack hash; evidence is a plain string.
  auto encoding = redis_cmd(f.redis().endpoint(), {"OBJECT", "ENCODING", "bl:report:" + id});
  REQUIRE(encoding.string());
  CHECK(*encoding.string() == "listpack");
  const auto bytes = redis_int(f.redis().endpoint(), {"MEMORY", "USAGE", "bl:report:" + id});
  INFO("MEMORY USAGE of a report record with 2 reporters: " << bytes << " bytes");
  CHECK(bytes > 0);
  CHECK(bytes < 512);
}

TEST_CASE("a partner reads only its own reports", "[tooling][reports][redis]") {
  service_fixture f;
  const std::string a = f.issue_key("partner");
  const std::string other = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  auto filed = c.post("/v1/reports", a, report_body("x1@example.com"));
  REQUIRE(filed.status == 201);
  const std::string id = json_string(filed, "/id");

  auto own = c.get("/v1/reports/" + id, a);
  REQUIRE(own.status == 200);
  CHECK(json_string(own, "/status") == "open");
  CHECK(json_string(own, "/id") == id);
  // The partner view: no evidence, reporters, masked form or raw value.
  CHECK_FALSE(has_field(own, "/evidence"));
  CHECK_FALSE(has_field(own, "/reported_by"));
  CHECK_FALSE(has_field(own, "/masked"));
  CHECK(own.body.find("x1@") == std::string::npos);

  auto foreign = c.get("/v1/reports/" + id, other);
  CHECK(foreign.status == 404);
  CHECK(foreign.error_code() == "not_found");
  CHECK(c.get("/v1/reports/999", a).status == 404);
  CHECK(c.get("/v1/reports/abc", mod).status == 404);
  CHECK(c.get("/v1/reports/0" + id, mod).status == 404);
  // Listing is for moderators.
  CHECK(c.get("/v1/reports", a).status == 403);
  CHECK(c.post("/v1/reports/" + id + "/reject", a, R"({"reason":"x"})").status == 403);
}

TEST_CASE("accepting a report bans the account, linked both ways", "[tooling][reports][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const std::string fp = fp_of(sdk::identifier_type::email, "fraud@example.com");

  auto filed = c.post("/v1/reports", partner, report_body("fraud@example.com"));
  REQUIRE(filed.status == 201);
  const std::string id = json_string(filed, "/id");
  const auto head_before = redis_int(f.redis().endpoint(), {"GET", "bl:seq"});

  auto accepted = c.post("/v1/reports/" + id + "/accept", mod,
                         R"({"reason":"fake_shop","public":true,"case_id":"C-9",)"
                         R"("expires_at":"2099-01-01T00:00:00Z"})");
  REQUIRE(accepted.status == 200);
  CHECK(json_bool(accepted, "/created"));
  CHECK(json_string(accepted, "/report/status") == "accepted");
  const std::uint64_t seq = json_u64(accepted, "/ban/seq");
  CHECK(seq == static_cast<std::uint64_t>(head_before) + 1);
  CHECK(json_u64(accepted, "/report/ban_seq") == seq);
  CHECK(json_string(accepted, "/ban/fp") == fp);
  CHECK(json_string(accepted, "/ban/reason") == "fake_shop");
  CHECK(json_string(accepted, "/ban/case_id") == "C-9");
  CHECK(json_string(accepted, "/ban/report_id") == id);
  CHECK(json_bool(accepted, "/ban/public"));
  CHECK(json_u64(accepted, "/ban/expires_at") == 4070908800ull);

  // The ban is a normal one: record, check, change log.
  auto record = c.get("/v1/bans/" + fp, mod);
  REQUIRE(record.status == 200);
  CHECK(json_string(record, "/report_id") == id);
  CHECK(json_string(record, "/status") == "banned");
  auto check = c.get("/v1/check?type=email&value=Fraud%40example.com", partner);
  REQUIRE(check.status == 200);
  CHECK(json_bool(check, "/banned"));
  const auto log = change_log(f.redis().endpoint());
  REQUIRE_FALSE(log.empty());
  CHECK(log.back().seq == seq);
  CHECK(log.back().op == service::change_op::ban);
  CHECK(log.back().fp.to_hex() == fp);
  CHECK(log.back().reason == "fake_shop");
  CHECK(audit_actions(c, 2) == std::vector<std::string>{"report_accept", "ban"});

  // The partner reads the outcome.
  auto outcome = c.get("/v1/reports/" + id, partner);
  REQUIRE(outcome.status == 200);
  CHECK(json_string(outcome, "/status") == "accepted");
  CHECK(json_u64(outcome, "/ban_seq") == seq);
  CHECK_FALSE(json_string(outcome, "/decided_at").empty());

  // Decided: a second accept or a reject is 409 and changes nothing.
  const auto audit_before = audit_size(f);
  auto twice = c.post("/v1/reports/" + id + "/accept", mod, "");
  CHECK(twice.status == 409);
  CHECK(twice.error_code() == "already_decided");
  CHECK(json_string(twice, "/report/status") == "accepted");
  auto reject = c.post("/v1/reports/" + id + "/reject", mod, R"({"reason":"late"})");
  CHECK(reject.status == 409);
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:seq"}) == static_cast<std::int64_t>(seq));
  CHECK(audit_size(f) == audit_before);

  // A report on a banned account stores nothing.
  auto late = c.post("/v1/reports", partner, report_body("FRAUD@example.com"));
  REQUIRE(late.status == 200);
  CHECK(json_string(late, "/status") == "already_banned");
  CHECK(late.json()["id"].is_null());
  CHECK(json_string(late, "/fp") == fp);
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:report_seq"}) == 1);
  CHECK(audit_size(f) == audit_before);
}

TEST_CASE("accepting a report on an account banned meanwhile links the existing ban",
          "[tooling][reports][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  auto filed = c.post("/v1/reports", partner, report_body("meanwhile@example.com"));
  REQUIRE(filed.status == 201);
  const std::string id = json_string(filed, "/id");
  auto banned = c.post("/v1/bans", mod,
                       R"({"type":"email","value":"meanwhile@example.com","reason":"spam"})");
  REQUIRE(banned.status == 201);
  const std::uint64_t seq = json_u64(banned, "/seq");

  auto accepted = c.post("/v1/reports/" + id + "/accept", mod, "{}");
  REQUIRE(accepted.status == 200);
  CHECK_FALSE(json_bool(accepted, "/created", true));
  CHECK(json_u64(accepted, "/report/ban_seq") == seq);
  CHECK(json_u64(accepted, "/ban/seq") == seq);
  CHECK(json_string(accepted, "/ban/reason") == "spam");  // the existing ban, unchanged
  CHECK_FALSE(has_field(accepted, "/ban/report_id"));
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:seq"}) == static_cast<std::int64_t>(seq));
  CHECK(change_log(f.redis().endpoint()).size() == seq);  // no second delta
}

TEST_CASE("rejecting a report needs a reason, the partner reads it", "[tooling][reports][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  auto filed = c.post("/v1/reports", partner, report_body("maybe@example.com"));
  REQUIRE(filed.status == 201);
  const std::string id = json_string(filed, "/id");
  const auto audit_before = audit_size(f);

  for (const std::string& bad :
       {std::string(""), std::string("{}"), std::string(R"({"reason":""})"),
        std::string(R"({"reason":7})"), std::string(R"({"reason":"x","extra":1})"),
        R"({"reason":")" + std::string(1001, 'r') + R"("})", std::string(R"({"reason":"a\u0001"})"),
        std::string("{")}) {
    auto r = c.post("/v1/reports/" + id + "/reject", mod, bad);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 400);
  }
  CHECK(audit_size(f) == audit_before);
  CHECK(json_string(c.get("/v1/reports/" + id, mod), "/status") == "open");

  auto rejected = c.post("/v1/reports/" + id + "/reject", mod,
                         R"({"reason":"the evidence shows a different account"})");
  REQUIRE(rejected.status == 200);
  CHECK(json_string(rejected, "/report/status") == "rejected");
  auto outcome = c.get("/v1/reports/" + id, partner);
  REQUIRE(outcome.status == 200);
  CHECK(json_string(outcome, "/status") == "rejected");
  CHECK(json_string(outcome, "/decision_reason") == "the evidence shows a different account");
  CHECK_FALSE(has_field(outcome, "/ban_seq"));
  CHECK(audit_actions(c, 1) == std::vector<std::string>{"report_reject"});
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:seq"}) == 0);  // no ban
  CHECK(c.post("/v1/reports/" + id + "/accept", mod, "{}").status == 409);
  CHECK(c.post("/v1/reports/" + id + "/reject", mod, R"({"reason":"again"})").status == 409);
  CHECK(c.post("/v1/reports/77/reject", mod, R"({"reason":"x"})").status == 404);
  CHECK(c.post("/v1/reports/77/accept", mod, "{}").status == 404);

  // Once rejected, a new report on that account is a new one.
  auto anew = c.post("/v1/reports", partner, report_body("maybe@example.com"));
  REQUIRE(anew.status == 201);
  CHECK(json_string(anew, "/id") != id);
}

TEST_CASE("bad reports and bad accepts are 400 and change nothing", "[tooling][reports][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const auto audit_before = audit_size(f);
  struct bad_case {
    std::string body;
    std::string code;
  };
  const std::vector<bad_case> cases{
      {"{", "malformed_json"},
      {"[]", "malformed_json"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing"})", "missing_field"},
      {R"({"type":"email","value":"a@example.com","evidence":"e"})", "missing_field"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing","evidence":"e","x":1})",
       "unknown_field"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing","evidence":""})",
       "invalid_field"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing","evidence":")" +
           std::string(4001, 'e') + R"("})",
       "invalid_field"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing","evidence":"a\u0007"})",
       "invalid_field"},
      {R"({"type":"email","value":"a@example.com","reason":"phishing","evidence":5})",
       "invalid_field"},
      {R"({"type":"fax","value":"a@example.com","reason":"phishing","evidence":"e"})",
       "invalid_type"},
      {R"({"type":"email","value":"a@example.com","reason":"nasty","evidence":"e"})",
       "invalid_reason"},
      {R"({"type":"phone","value":"12ab","reason":"phishing","evidence":"e"})",
       "invalid_identifier"},
  };
  for (const auto& bad : cases) {
    auto r = c.post("/v1/reports", partner, bad.body);
    INFO(bad.body.substr(0, 120) << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.error_code() == bad.code);
  }
  // 4,000 characters (multi-byte ones count once) are fine.
  std::string long_text;
  for (int i = 0; i < 4000; ++i)
    long_text += "\xc3\xa9";  // é
  CHECK(c.post("/v1/reports", partner, report_body("long@example.com", long_text)).status == 201);
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:report_seq"}) == 1);  // only that one
  CHECK(audit_size(f) == audit_before + 1);

  // Accept with a bad body: the report stays open, nothing is banned.
  const std::string id = "1";
  for (const std::string& bad :
       {std::string(R"({"value":"other@example.com"})"), std::string(R"({"type":"phone"})"),
        std::string(R"({"reason":"nasty"})"), std::string(R"({"expires_at":1})"),
        std::string(R"({"expires_at":"tomorrow"})"),
        std::string(R"({"expires_at":"2099-02-30T00:00:00Z"})"), std::string(R"({"public":"yes"})"),
        std::string("{")}) {
    auto r = c.post("/v1/reports/" + id + "/accept", mod, bad);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 400);
  }
  CHECK(json_string(c.get("/v1/reports/" + id, mod), "/status") == "open");
  CHECK(redis_int(f.redis().endpoint(), {"GET", "bl:seq"}) == 0);
  CHECK(audit_size(f) == audit_before + 1);
}

TEST_CASE("moderators list reports by status, newest first, with a cursor",
          "[tooling][reports][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  for (int i = 1; i <= 5; ++i) {
    std::string email = "l";
    email += std::to_string(i);
    email += "@example.com";
    REQUIRE(c.post("/v1/reports", partner, report_body(email)).status == 201);
  }
  REQUIRE(c.post("/v1/reports/2/accept", mod, "{}").status == 200);
  REQUIRE(c.post("/v1/reports/4/reject", mod, R"({"reason":"no"})").status == 200);

  auto ids = [&](const std::string& query) {
    auto r = c.get("/v1/reports" + query, mod);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    for (auto e : r.json()["reports"].get_array()) {
      std::string_view id;
      REQUIRE_FALSE(e["id"].get(id));
      out.emplace_back(id);
    }
    return std::pair{out, json_string(r, "/next_cursor")};
  };
  CHECK(ids("").first == std::vector<std::string>{"5", "3", "1"});  // default: open
  CHECK(ids("?status=open").first == std::vector<std::string>{"5", "3", "1"});
  CHECK(ids("?status=accepted").first == std::vector<std::string>{"2"});
  CHECK(ids("?status=rejected").first == std::vector<std::string>{"4"});
  // Paging through all of them, two at a time.
  std::vector<std::string> all;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto [got, next] = ids("?status=all&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    all.insert(all.end(), got.begin(), got.end());
    if (next.empty())
      break;
    cursor = next;
  }
  CHECK(all == std::vector<std::string>{"5", "4", "3", "2", "1"});
  auto listed = c.get("/v1/reports?status=all", mod);
  CHECK_FALSE(has_field(listed, "/reports/0/evidence"));  // GET by id has it
  CHECK(json_string(listed, "/reports/3/status") == "accepted");
  for (const char* bad :
       {"?status=closed", "?cursor=abc", "?cursor=0", "?limit=0", "?limit=1001", "?colour=red"}) {
    INFO(bad);
    CHECK(c.get(std::string("/v1/reports") + bad, mod).status == 400);
  }
}

}  // namespace banlist::test
