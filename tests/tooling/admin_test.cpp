// Issue 7 admin routes against a real Redis: lift with reason/case/note,
// GET /v1/bans/{fp}/history, POST /v1/bans/lift (streamed bulk lift with
// the circuit breaker) and GET /v1/audit filters.
#include <catch2/catch.hpp>

#include <string>

#include "admin_support.hpp"
#include "record_layout.hpp"

namespace banlist::test {
namespace {

namespace http = boost::beast::http;

std::string ban(http_client& c, const std::string& key, const std::string& email,
                const std::string& extra = "") {
  auto r = c.post(
      "/v1/bans", key,
      R"({"type":"email","value":")" + email + R"(","reason":"telecom_fraud")" + extra + "}");
  REQUIRE(r.status == 201);
  return json_string(r, "/fp");
}

// "{prefix}{i}@example.com". Out of line: g++ 12 -O3 misreports -Wrestrict
// on `"b" + std::to_string(i) + ...` inlined into the test bodies.
[[gnu::noinline]] std::string address(const char* prefix, int i) {
  std::string out(prefix);
  out += std::to_string(i);
  out += "@example.com";
  return out;
}

}  // namespace

TEST_CASE("lift keeps reason, case and note, history lists every ban and lift",
          "[tooling][redis][history]") {
  service_fixture f;
  std::string mod_id, mod2_id;
  const std::string mod = f.issue_key("moderator", &mod_id);
  const std::string mod2 = f.issue_key("moderator", &mod2_id);
  auto c = f.client();
  const std::string fp = ban(c, mod, "h1@example.com", R"(,"case_id":"B-1","note":"first")");
  // A ban never lifted has no history list: its record is its history.
  CHECK(redis_cli(f, "EXISTS bl:hist:" + fp) == "0");

  auto lifted =
      c.del("/v1/bans/" + fp + "?reason=appeal_granted&case_id=C-2026-17&note=granted", mod2);
  REQUIRE(lifted.status == 200);
  auto record = c.get("/v1/bans/" + fp, mod);
  REQUIRE(record.status == 200);
  CHECK(json_string(record, "/status") == "lifted");
  CHECK(json_string(record, "/lift_reason") == "appeal_granted");
  CHECK(json_string(record, "/lift_case_id") == "C-2026-17");
  CHECK(json_string(record, "/lift_note") == "granted");
  CHECK(redis_cli(f, "ZSCORE bl:lifted " + fp) == "2");

  // Banned again, lifted without case or note, banned a third time.
  ban(c, mod2, "h1@example.com");
  CHECK(redis_cli(f, "LLEN bl:hist:" + fp) == "1");
  CHECK(redis_cli(f, "ZSCORE bl:lifted " + fp).empty());  // re-banned: not in the lifted index
  REQUIRE(c.del("/v1/bans/" + fp + "?reason=mistake", mod).status == 200);
  CHECK(redis_cli(f, record_value_cli(fp, "status")) == "lifted");
  CHECK(redis_cli(f, record_value_cli(fp, "lift_case_id")).empty());
  ban(c, mod, "h1@example.com", R"(,"case_id":"B-3")");

  auto h = c.get("/v1/bans/" + fp + "/history", mod);
  REQUIRE(h.status == 200);
  auto events = h.json()["events"].get_array();
  REQUIRE(events.size() == 5);
  struct expect {
    const char* op;
    std::uint64_t seq;
    std::string by;
    const char* reason;
    const char* case_id;
    const char* note;
  };
  const expect want[] = {{"ban", 1, mod_id, "telecom_fraud", "B-1", "first"},
                         {"lift", 2, mod2_id, "appeal_granted", "C-2026-17", "granted"},
                         {"ban", 3, mod2_id, "telecom_fraud", "", ""},
                         {"lift", 4, mod_id, "mistake", "", ""},
                         {"ban", 5, mod_id, "telecom_fraud", "B-3", ""}};
  std::size_t i = 0;
  for (auto e : events) {
    INFO("event " << i);
    std::string_view op, by, reason, at;
    std::uint64_t seq = 0;
    REQUIRE_FALSE(e["op"].get(op));
    REQUIRE_FALSE(e["seq"].get(seq));
    REQUIRE_FALSE(e["by"].get(by));
    REQUIRE_FALSE(e["reason"].get(reason));
    REQUIRE_FALSE(e["at"].get(at));
    CHECK(op == want[i].op);
    CHECK(seq == want[i].seq);
    CHECK(by == want[i].by);
    CHECK(reason == want[i].reason);
    CHECK(at.size() == 24);  // RFC 3339 with milliseconds
    std::string_view case_id, note;
    if (e["case_id"].get(case_id))
      case_id = "";
    if (e["note"].get(note))
      note = "";
    CHECK(case_id == want[i].case_id);
    CHECK(note == want[i].note);
    ++i;
  }

  SECTION("history of a fingerprint never banned is 404, a bad one 400") {
    auto none = c.get(
        "/v1/bans/" + fp_of(sdk::identifier_type::email, "never@example.com") + "/history", mod);
    CHECK(none.status == 404);
    CHECK(none.error_code() == "not_found");
    CHECK(c.get("/v1/bans/xyz/history", mod).status == 400);
    CHECK(c.get("/v1/bans/" + fp + "/history", f.issue_key("partner")).status == 403);
  }
  SECTION("bad lift parameters change nothing") {
    const auto head = log_head(f);
    auto long_case = c.del("/v1/bans/" + fp + "?case_id=" + std::string(65, 'c'), mod);
    CHECK(long_case.status == 400);
    auto long_note = c.del("/v1/bans/" + fp + "?note=" + std::string(1001, 'n'), mod);
    CHECK(long_note.status == 400);
    auto bad_reason = c.del("/v1/bans/" + fp + "?reason=because", mod);
    CHECK(bad_reason.status == 400);
    CHECK(bad_reason.error_code() == "invalid_reason");
    auto unknown = c.del("/v1/bans/" + fp + "?colour=red", mod);
    CHECK(unknown.status == 400);
    CHECK(log_head(f) == head);
    CHECK(json_string(c.get("/v1/bans/" + fp, mod), "/status") == "banned");
    // Exactly at the limits is accepted.
    auto edge = c.del(
        "/v1/bans/" + fp + "?case_id=" + std::string(64, 'c') + "&note=" + std::string(1000, 'n'),
        mod);
    CHECK(edge.status == 200);
    CHECK(c.del("/v1/bans/" + fp, mod).error_code() == "not_banned");
  }
}

TEST_CASE("bulk lift: exact per-line results", "[tooling][redis][lift_bulk]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  std::vector<std::string> fps;
  for (int i = 0; i < 6; ++i)
    fps.push_back(ban(c, mod, address("b", i)));
  const auto head = log_head(f);
  const std::string never = fp_of(sdk::identifier_type::email, "never@example.com");

  std::string body;
  body += R"({"fp":")" + fps[0] + "\"}\n";  // 1 lifted
  body += R"({"type":"email","value":"b1@example.com","reason":"appeal_granted","case_id":"K-1"})"
          "\n";                            // 2 lifted
  body += R"({"fp":")" + never + "\"}\n";  // 3 not_banned
  body += "{oops\n";                       // 4 invalid
  body += R"({"fp":")" + fps[2] +
          R"(","reason":"because"})"
          "\n";  // 5 invalid
  body += "\n";  // 6 blank
  body += R"({"fp":")" + fps[2] +
          R"(","type":"email","value":"b2@example.com"})"
          "\n";                             // 7
  body += R"({"fp":")" + fps[0] + "\"}\n";  // 8 not_banned
  body += R"({"type":"email","value":"not an address"})"
          "\n";  // 9 invalid
  body += R"({"fp":"1234"})"
          "\n";  // 10 invalid
  body += R"({"type":"email","value":"b3@example.com","colour":"red"})"
          "\n";  // 11 invalid
  auto r = send_body(f, "/v1/bans/lift?lines=10", mod, "application/x-ndjson", body);
  REQUIRE(r.raw.status == 200);
  REQUIRE(r.lines.size() == 11);
  struct expect {
    std::uint64_t line;
    const char* status;
    const char* code;
  };
  const expect want[] = {{1, "lifted", ""},
                         {2, "lifted", ""},
                         {3, "not_banned", ""},
                         {4, "invalid", "malformed_json"},
                         {5, "invalid", "invalid_reason"},
                         {7, "invalid", "invalid_field"},
                         {8, "not_banned", ""},
                         {9, "invalid", "invalid_identifier"},
                         {10, "invalid", "invalid_fingerprint"},
                         {11, "invalid", "unknown_field"}};
  for (std::size_t i = 0; i < 10; ++i) {
    INFO(r.lines[i]);
    CHECK(number(r.lines[i], "/line") == want[i].line);
    CHECK(field(r.lines[i], "/status") == want[i].status);
    CHECK(field(r.lines[i], "/error/code") == want[i].code);
  }
  CHECK(field(r.lines[0], "/fp") == fps[0]);
  CHECK(number(r.lines[0], "/seq") == head + 1);
  CHECK(field(r.lines[1], "/fp") == fps[1]);
  CHECK(number(r.lines[1], "/seq") == head + 2);
  CHECK(field(r.lines[2], "/fp") == never);
  const auto& summary = r.lines.back();
  CHECK(number(summary, "/summary/lines") == 10);
  CHECK(number(summary, "/summary/lifted") == 2);
  CHECK(number(summary, "/summary/not_banned") == 2);
  CHECK(number(summary, "/summary/invalid") == 6);
  CHECK(number(summary, "/summary/unknown") == 0);
  CHECK(summary.find(R"("complete":true)") != std::string::npos);
  CHECK(log_head(f) == head + 2);
  auto b1 = c.get("/v1/bans/" + fps[1], mod);
  CHECK(json_string(b1, "/lift_reason") == "appeal_granted");
  CHECK(json_string(b1, "/lift_case_id") == "K-1");
  CHECK(json_string(c.get("/v1/bans/" + fps[0], mod), "/lift_reason") == "other");
  CHECK(json_string(c.get("/v1/bans/" + fps[2], mod), "/status") == "banned");

  // CSV with type,value and a reason column.
  auto csv = send_body(f, "/v1/bans/lift?lines=3", mod, "text/csv",
                       "type,value,reason\r\n"
                       "email,b3@example.com,mistake\r\n"
                       "email,b4@example.com\r\n"
                       "phone,12ab,mistake\r\n");
  REQUIRE(csv.raw.status == 200);
  REQUIRE(csv.lines.size() == 4);
  CHECK(field(csv.lines[0], "/status") == "lifted");
  CHECK(field(csv.lines[1], "/error/code") == "wrong_column_count");
  CHECK(field(csv.lines[2], "/error/code") == "invalid_identifier");
  CHECK(json_string(c.get("/v1/bans/" + fps[3], mod), "/lift_reason") == "mistake");
  CHECK(log_head(f) == head + 3);

  // Audited with its counts.
  auto audit = c.get("/v1/audit?action=lift_bulk", mod);
  REQUIRE(audit.status == 200);
  auto entries = audit.json()["entries"].get_array();
  REQUIRE(entries.size() == 2);
  std::string_view detail;
  REQUIRE_FALSE(entries.at(1)["detail"].get(detail));
  CHECK(detail == "format=ndjson lines=10 lifted=2 not_banned=2 invalid=6 unknown=0");
}

TEST_CASE("bulk lift: the circuit breaker holds without confirm", "[tooling][redis][lift_bulk]") {
  service_fixture f([](service::service_config& c) { c.bulk_change_min = 5; });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  std::string csv = "fp\n";
  for (int i = 0; i < 10; ++i)
    csv += ban(c, mod, address("cb", i)) + "\n";
  const auto head = log_head(f);

  auto refused = send_body(f, "/v1/bans/lift?lines=10", mod, "text/csv", csv);
  CHECK(refused.raw.status == 409);
  CHECK(refused.raw.error_code() == "bulk_change_limit");
  auto undeclared = send_body(f, "/v1/bans/lift", mod, "text/csv", csv);
  CHECK(undeclared.raw.status == 400);
  CHECK(undeclared.raw.error_code() == "lines_required");
  auto bad_confirm = send_body(f, "/v1/bans/lift?confirm=yes", mod, "text/csv", csv);
  CHECK(bad_confirm.raw.status == 400);
  auto partner =
      send_body(f, "/v1/bans/lift?confirm=true", f.issue_key("partner"), "text/csv", csv);
  CHECK(partner.raw.status == 403);
  auto wrong_type = send_body(f, "/v1/bans/lift?confirm=true", mod, "application/json", "{}");
  CHECK(wrong_type.raw.status == 415);
  auto bad_header = send_body(f, "/v1/bans/lift?lines=1", mod, "text/csv", "value\nx\n");
  CHECK(bad_header.raw.error_code() == "missing_column");
  CHECK(log_head(f) == head);  // nothing changed
  CHECK(c.get("/v1/audit?action=lift_bulk_confirmed", mod).body.find("\"entries\":[]") !=
        std::string::npos);

  // Declared within the allowance: applied, extra lines refused.
  auto small = send_body(f, "/v1/bans/lift?lines=1", mod, "text/csv", csv);
  REQUIRE(small.raw.status == 200);
  REQUIRE(small.lines.size() == 11);
  CHECK(field(small.lines[0], "/status") == "lifted");
  for (std::size_t i = 1; i < 10; ++i)
    CHECK(field(small.lines[i], "/error/code") == "more_lines_than_declared");
  CHECK(log_head(f) == head + 1);

  // Confirmed: everything lifted, audited before and after.
  auto confirmed = send_body(f, "/v1/bans/lift?confirm=true&lines=10", mod, "text/csv", csv);
  REQUIRE(confirmed.raw.status == 200);
  CHECK(number(confirmed.lines.back(), "/summary/lifted") == 9);
  CHECK(number(confirmed.lines.back(), "/summary/not_banned") == 1);
  CHECK(log_head(f) == head + 10);
  // Audited: the confirmation before the first lift, the counts after the last.
  auto confirmed_audit = c.get("/v1/audit?action=lift_bulk_confirmed", mod);
  auto counts_audit = c.get("/v1/audit?action=lift_bulk&limit=1", mod);
  CHECK(json_string(confirmed_audit, "/entries/0/detail") ==
        "confirmed bulk lift: list=9 allowance=5 lines=10");
  CHECK(json_string(counts_audit, "/entries/0/detail") ==
        "format=csv lines=10 lifted=9 not_banned=1 invalid=0 unknown=0 confirmed");
  auto lifts = c.get("/v1/audit?action=lift&limit=9", mod);
  REQUIRE(lifts.json()["entries"].get_array().size() == 9);
  auto id_ms = [](const std::string& id) { return std::stoull(id.substr(0, id.find('-'))); };
  auto id_n = [](const std::string& id) { return std::stoull(id.substr(id.find('-') + 1)); };
  auto before = [&](const std::string& a, const std::string& b) {
    return id_ms(a) < id_ms(b) || (id_ms(a) == id_ms(b) && id_n(a) < id_n(b));
  };
  const auto confirmed_id = json_string(confirmed_audit, "/entries/0/id");
  const auto oldest_lift = json_string(lifts, "/entries/8/id");
  const auto newest_lift = json_string(lifts, "/entries/0/id");
  CHECK(before(confirmed_id, oldest_lift));
  CHECK(before(newest_lift, json_string(counts_audit, "/entries/0/id")));
}

TEST_CASE("audit filters by actor, action and time", "[tooling][redis][audit]") {
  service_fixture f;
  std::string id1, id2;
  const std::string mod1 = f.issue_key("moderator", &id1);
  const std::string mod2 = f.issue_key("moderator", &id2);
  auto c = f.client();
  for (int i = 0; i < 5; ++i)
    ban(c, mod1, address("a1-", i));
  std::string fp;
  for (int i = 0; i < 3; ++i)
    fp = ban(c, mod2, address("a2-", i));
  REQUIRE(c.del("/v1/bans/" + fp, mod2).status == 200);

  auto count = [&](const std::string& query) {
    auto r = c.get("/v1/audit?" + query, mod1);
    REQUIRE(r.status == 200);
    return r.json()["entries"].get_array().size();
  };
  CHECK(count("actor=" + id1) == 5);
  CHECK(count("actor=" + id2) == 4);
  CHECK(count("actor=" + id2 + "&action=ban") == 3);
  CHECK(count("action=lift") == 1);
  CHECK(count("action=key_create") == 2);
  CHECK(count("since=4102444800") == 0);  // 2100
  CHECK(count("until=2000-01-01T00:00:00Z") == 0);
  CHECK(count("since=2000-01-01T00:00:00.000%2B02:00&action=ban") == 8);
  for (const auto* bad :
       {"since=yesterday", "until=2026-13-01T00:00:00Z", "actor=", "limit=0", "before=abc"}) {
    INFO(bad);
    CHECK(c.get(std::string("/v1/audit?") + bad, mod1).status == 400);
  }

  // Paging through a filter: two pages of 2 and one of 1, no overlap.
  auto p1 = c.get("/v1/audit?actor=" + id1 + "&limit=2", mod1);
  const auto next1 = json_string(p1, "/next_before");
  REQUIRE_FALSE(next1.empty());
  auto p2 = c.get("/v1/audit?actor=" + id1 + "&limit=2&before=" + next1, mod1);
  const auto next2 = json_string(p2, "/next_before");
  REQUIRE_FALSE(next2.empty());
  auto p3 = c.get("/v1/audit?actor=" + id1 + "&limit=2&before=" + next2, mod1);
  CHECK(p3.json()["entries"].get_array().size() == 1);
  CHECK(json_string(p3, "/next_before").empty());
  CHECK(json_string(p1, "/entries/0/id") != json_string(p2, "/entries/0/id"));
}

}  // namespace banlist::test
