// POST /v1/bans/import against a real Redis: exact per-line results, no
// duplicate changes on re-import, every limit and error path.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <string>

#include "service_fixture.hpp"

namespace banlist::test {
namespace {

namespace http = boost::beast::http;

struct import_reply {
  http_reply raw;
  std::vector<std::string> lines;  // NDJSON lines of the body
};

import_reply do_import(service_fixture& f, const std::string& key, const std::string& query,
                       const std::string& content_type, const std::string& body) {
  auto c = f.client();
  import_reply r;
  r.raw = c.request(http::verb::post, "/v1/bans/import" + query, key, body,
                    {{"Content-Type", content_type}});
  std::istringstream in(r.raw.body);
  for (std::string line; std::getline(in, line);)
    r.lines.push_back(line);
  return r;
}

// The change log's head as Redis holds it (not a follower's view).
std::uint64_t head_seq(service_fixture& f) {
  auto c = f.client();
  auto reply = c.get("/v1/deltas?since=0&limit=1", kAdminKey);
  REQUIRE(reply.status == 200);
  std::uint64_t seq = 0;
  REQUIRE_FALSE(reply.json()["head"].get(seq));
  return seq;
}

std::string field(const std::string& json_line, const char* pointer) {
  simdjson::dom::parser p;
  std::string_view v;
  if (p.parse(json_line).at_pointer(pointer).get(v))
    return {};
  return std::string(v);
}

std::uint64_t number(const std::string& json_line, const char* pointer) {
  simdjson::dom::parser p;
  std::uint64_t v = 0;
  if (p.parse(json_line).at_pointer(pointer).get(v))
    return ~0ull;
  return v;
}

}  // namespace

TEST_CASE("CSV import of 20,000 lines with 1% bad lines gives exact per-line results",
          "[tooling][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  std::string body = "type,value,reason,case_id\n";
  std::set<std::uint64_t> bad;
  constexpr int kLines = 20000;
  for (int i = 0; i < kLines; ++i) {
    const std::uint64_t line = static_cast<std::uint64_t>(i) + 2;  // header is line 1
    if (i % 100 == 42) {
      body += "phone,12ab,telecom_fraud,c\n";
      bad.insert(line);
    } else {
      body += "email,u" + std::to_string(i) + "@example.com,telecom_fraud,case-7\n";
    }
  }
  auto r = do_import(f, mod, "?confirm=true", "text/csv", body);
  REQUIRE(r.raw.status == 200);
  REQUIRE(r.lines.size() == kLines + 1);
  std::uint64_t expect_line = 2;
  std::set<std::uint64_t> rejected;
  for (std::size_t i = 0; i < kLines; ++i) {
    REQUIRE(number(r.lines[i], "/line") == expect_line);
    const auto status = field(r.lines[i], "/status");
    if (status == "rejected") {
      rejected.insert(expect_line);
      CHECK(field(r.lines[i], "/error/code") == "invalid_identifier");
    } else {
      REQUIRE(status == "created");
    }
    ++expect_line;
  }
  CHECK(rejected == bad);
  const auto& summary = r.lines.back();
  CHECK(number(summary, "/summary/created") == kLines - bad.size());
  CHECK(number(summary, "/summary/rejected") == bad.size());
  CHECK(number(summary, "/summary/unknown") == 0);
  CHECK(head_seq(f) == kLines - bad.size());

  // The same file again changes nothing: every valid line already exists.
  auto again = do_import(f, mod, "?confirm=true", "text/csv", body);
  REQUIRE(again.raw.status == 200);
  CHECK(number(again.lines.back(), "/summary/exists") == kLines - bad.size());
  CHECK(number(again.lines.back(), "/summary/created") == 0);
  CHECK(head_seq(f) == kLines - bad.size());

  // A confirmed import is audited.
  auto c = f.client();
  auto audit = c.get("/v1/audit?limit=1000", mod);
  CHECK(audit.body.find("import_confirmed") != std::string::npos);
}

TEST_CASE("NDJSON import: bad lines, oversize line, extra lines", "[tooling][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  std::string body;
  body += R"({"type":"email","value":"a@example.com","reason":"telecom_fraud"})"
          "\n";
  body += "\n";  // line 2: blank, not reported
  body += R"({"type":"email","value":"b@example.com","reason":"nope"})"
          "\n";           // 3
  body += "{not json\n";  // 4
  body += R"({"type":"email","value":"c@example.com","reason":"telecom_fraud","x":1})"
          "\n";
  body += R"({"type":"email","value":")" + std::string(9000, 'd') +
          R"("})"
          "\n";  // 6
  body += R"({"type":"email","value":"e@example.com","reason":"telecom_fraud"})"
          "\r\n";  // 7
  auto r = do_import(f, mod, "?lines=6", "application/x-ndjson", body);
  REQUIRE(r.raw.status == 200);
  REQUIRE(r.lines.size() == 7);
  CHECK(field(r.lines[0], "/status") == "created");
  CHECK(number(r.lines[1], "/line") == 3);
  CHECK(field(r.lines[1], "/error/code") == "invalid_reason");
  CHECK(field(r.lines[2], "/error/code") == "malformed_json");
  CHECK(field(r.lines[3], "/error/code") == "unknown_field");
  CHECK(number(r.lines[4], "/line") == 6);
  CHECK(field(r.lines[4], "/error/code") == "line_too_long");
  CHECK(field(r.lines[5], "/status") == "created");
  CHECK(head_seq(f) == 2);

  // Declared 1 line, sent 2: the second is not applied.
  std::string two = R"({"type":"email","value":"f@example.com","reason":"telecom_fraud"})"
                    "\n"
                    R"({"type":"email","value":"g@example.com","reason":"telecom_fraud"})"
                    "\n";
  auto extra = do_import(f, mod, "?lines=1", "application/x-ndjson", two);
  REQUIRE(extra.lines.size() == 3);
  CHECK(field(extra.lines[0], "/status") == "created");
  CHECK(field(extra.lines[1], "/error/code") == "more_lines_than_declared");
  CHECK(head_seq(f) == 3);
}

TEST_CASE("import refusals change nothing", "[tooling][redis]") {
  service_fixture f([](service::service_config& c) { c.bulk_change_min = 5; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  std::string csv = "type,value,reason\n";
  for (int i = 0; i < 10; ++i)
    csv += "email,x" + std::to_string(i) + "@example.com,telecom_fraud\n";

  SECTION("circuit breaker without confirm") {
    auto r = do_import(f, mod, "?lines=10", "text/csv", csv);
    CHECK(r.raw.status == 409);
    CHECK(r.raw.error_code() == "bulk_change_limit");
  }
  SECTION("lines required without confirm") {
    auto r = do_import(f, mod, "", "text/csv", csv);
    CHECK(r.raw.status == 400);
    CHECK(r.raw.error_code() == "lines_required");
  }
  SECTION("unknown CSV column") {
    auto r = do_import(f, mod, "?confirm=true", "text/csv",
                       "type,value,reason,colour\nemail,a@example.com,telecom_fraud,red\n");
    CHECK(r.raw.status == 400);
    CHECK(r.raw.error_code() == "unknown_column");
  }
  SECTION("missing required column") {
    auto r = do_import(f, mod, "?confirm=true", "text/csv", "type,value\nemail,a@example.com\n");
    CHECK(r.raw.status == 400);
    CHECK(r.raw.error_code() == "missing_column");
  }
  SECTION("unsupported content type") {
    auto r = do_import(f, mod, "?confirm=true", "application/json", "{}");
    CHECK(r.raw.status == 415);
  }
  SECTION("partner key") {
    auto r = do_import(f, partner, "?confirm=true", "text/csv", csv);
    CHECK(r.raw.status == 403);
  }
  SECTION("no key") {
    auto r = do_import(f, "", "?confirm=true", "text/csv", csv);
    CHECK(r.raw.status == 401);
  }
  CHECK(head_seq(f) == 0);
}

TEST_CASE("CSV quoting and small imports within the allowance", "[tooling][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  auto r = do_import(f, mod, "?lines=3", "text/csv",
                     "\xEF\xBB\xBFtype,value,reason,note\r\n"
                     "email,q1@example.com,telecom_fraud,\"a, \"\"quoted\"\" note\"\r\n"
                     "email,q2@example.com,telecom_fraud,\"unterminated\r\n"
                     "email,q3@example.com,telecom_fraud\r\n");
  REQUIRE(r.raw.status == 200);
  REQUIRE(r.lines.size() == 4);
  CHECK(field(r.lines[0], "/status") == "created");
  CHECK(field(r.lines[1], "/error/code") == "malformed_csv");
  CHECK(field(r.lines[2], "/error/code") == "wrong_column_count");
  auto c = f.client();
  auto rec = c.get("/v1/bans/" + field(r.lines[0], "/fp"), mod);
  CHECK(json_string(rec, "/note") == "a, \"quoted\" note");
}

}  // namespace banlist::test
