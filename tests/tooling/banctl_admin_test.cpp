// banctl commands for the issue-7 routes built in parallel (history, lift
// with case, lift-bulk, export, reports, status), per docs/admin-api.md.
// NOT registered in CMake until those routes are merged; then register with
//   banlist_add_test(tooling_banctl_admin_test SOURCES banctl_admin_test.cpp
//     LIBS banlist_banctl_runner banlist_http_test_client)
#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "banctl_runner.hpp"
#include "service_fixture.hpp"

namespace banlist::test {
namespace {

std::map<std::string, std::string> env_for(std::uint16_t port, const std::string& key) {
  return {{"BANLIST_URL", "http://127.0.0.1:" + std::to_string(port)}, {"BANLIST_KEY", key}};
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string string_field(const std::string& json, const std::string& name) {
  const auto at = json.find("\"" + name + "\":\"");
  if (at == std::string::npos)
    return {};
  const auto start = at + name.size() + 4;
  return json.substr(start, json.find('"', start) - start);
}

std::string email(const char* prefix, int i) {
  std::string text(prefix);
  text.append(std::to_string(i));
  text.append("@example.com");
  return text;
}

}  // namespace

TEST_CASE("banctl lift with case and note, history shows both episodes", "[tooling][banctl]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  const std::string fp = fp_of(sdk::identifier_type::phone, "13800138000");
  REQUIRE(b.run({"ban", "phone", "13800138000", "--reason", "telecom_fraud"}).exit_code == 0);
  auto r = b.run({"lift", fp, "--reason", "appeal_granted", "--case", "A-9", "--note", "ok"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(b.run({"ban", "phone", "13800138000", "--reason", "phishing"}).exit_code == 0);
  r = b.run({"history", fp});
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 5);  // title, header, ban, lift, ban
  CHECK(contains(lines[2], "ban"));
  CHECK(contains(lines[3], "lift"));
  CHECK(contains(lines[3], "appeal_granted"));
  CHECK(contains(lines[3], "A-9"));
  CHECK(contains(lines[4], "phishing"));
  r = b.run({"history", "--type", "phone", "--value", "13800138000", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "\"case_id\":\"A-9\""));
  CHECK(b.run({"history", fp_of(sdk::identifier_type::phone, "13900139000")}).exit_code == 4);
  CHECK(b.run({"lift", fp, "--case", std::string(65, 'x')}).exit_code == 1);
}

TEST_CASE("banctl lift-bulk: per-line results, reject file, circuit breaker", "[tooling][banctl]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  std::string bans = "type,value,reason\n";
  for (int i = 0; i < 300; ++i)
    bans += "email," + email("l", i) + ",spam\n";
  write_file(b.dir() / "bans.csv", bans);
  REQUIRE(b.run({"import", (b.dir() / "bans.csv").string(), "--confirm"}).exit_code == 0);

  // 200 of 300 is over 10% (and the minimum 100): refused, nothing lifted.
  std::string lifts = "type,value,reason,case_id\n";
  for (int i = 0; i < 200; ++i)
    lifts += "email," + email("l", i) + ",appeal_granted,A-1\n";
  lifts += "email,not-an-email,mistake,A-1\n";       // line 202: invalid
  lifts += "email,never@example.com,mistake,A-1\n";  // line 203: not banned
  const auto file = b.dir() / "lifts.csv";
  write_file(file, lifts);
  auto r = b.run({"lift-bulk", file.string()});
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "--confirm"));
  CHECK(contains(b.run({"list", "--all", "--json"}).out, email("l", 0)));

  r = b.run({"lift-bulk", file.string(), "--confirm"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "200 lifted"));
  CHECK(contains(r.out, "1 not_banned"));
  CHECK(contains(r.out, "1 invalid"));
  const auto rejects = lines_of(slurp(file.string() + ".lift-bulk.rejects"));
  REQUIRE(rejects.size() == 2);  // header + line 202
  CHECK(rejects[1].rfind("202,", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(file.string() + ".lift-bulk.state"));
  const auto listed = lines_of(b.run({"list", "--all", "--json"}).out);
  CHECK(listed.size() == 100);
  r = b.run({"audit", "--action", "lift_bulk_confirmed", "--json"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "lift_bulk_confirmed"));
}

TEST_CASE("banctl export: masked by default, raw for admins only and audited",
          "[tooling][banctl]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  for (int i = 0; i < 30; ++i) {
    REQUIRE(b.run({"ban", "email", email("x", i), "--reason", i % 2 ? "spam" : "phishing", "--case",
                   "K-1"})
                .exit_code == 0);
  }
  auto r = b.run({"export"});
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 31);
  CHECK(contains(lines.back(), "\"summary\""));
  CHECK(contains(lines.back(), "\"rows\":30"));
  CHECK_FALSE(contains(r.out, "x1@example.com"));  // masked

  r = b.run({"export", "--reason", "spam", "--format", "csv", "-o", (b.dir() / "s.csv").string()});
  REQUIRE(r.exit_code == 0);
  CHECK(lines_of(slurp(b.dir() / "s.csv")).size() == 16);  // header + 15
  CHECK_FALSE(std::filesystem::exists(b.dir() / "s.csv.part"));

  r = b.run({"export", "--raw"});
  CHECK(r.exit_code == 3);
  b.env()["BANLIST_KEY"] = kAdminKey;
  r = b.run({"export", "--raw", "--case", "K-1"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "x1@example.com"));
  r = b.run({"audit", "--action", "export_raw", "--json"});
  CHECK(contains(r.out, "export_raw"));
  CHECK(b.run({"export", "--format", "xml"}).exit_code == 2);
}

TEST_CASE("banctl reports list, show, accept, reject", "[tooling][banctl]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  http_client c(f.port());
  auto filed = c.post("/v1/reports", partner,
                      R"({"type":"phone","value":"13800138000","reason":"telecom_fraud",)"
                      R"("evidence":"called 40 users"})");
  REQUIRE(filed.status == 201);
  const std::string id = json_string(filed, "/id");
  auto second = c.post("/v1/reports", partner,
                       R"({"type":"phone","value":"13900139000","reason":"spam","evidence":"x"})");
  REQUIRE(second.status == 201);
  const std::string id2 = json_string(second, "/id");

  auto r = b.run({"reports", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, id));
  CHECK(contains(r.out, id2));
  r = b.run({"reports", "list", "--json"});
  CHECK(contains(r.out, "\"id\":\"" + id + "\""));  // ids stay strings
  r = b.run({"reports", "show", id});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "called 40 users"));

  r = b.run({"reports", "accept", id, "--case", "R-1", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "ban_seq"));
  CHECK(b.run({"show", "--type", "phone", "--value", "13800138000"}).exit_code == 0);
  CHECK(b.run({"reports", "accept", id}).exit_code == 5);   // already decided
  CHECK(b.run({"reports", "reject", id2}).exit_code == 2);  // --reason required
  r = b.run({"reports", "reject", id2, "--reason", "not enough evidence"});
  REQUIRE(r.exit_code == 0);
  CHECK(b.run({"reports", "show", "999999"}).exit_code == 4);
  r = b.run({"reports", "list", "--status", "all", "--json"});
  CHECK(contains(r.out, "accepted"));
  CHECK(contains(r.out, "rejected"));
}

TEST_CASE("banctl status", "[tooling][banctl]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  REQUIRE(b.run({"ban", "email", "s@example.com", "--reason", "spam"}).exit_code == 0);
  REQUIRE(b.run({"ban", "phone", "13800138000", "--reason", "spam"}).exit_code == 0);
  auto r = b.run({"status"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "banned:       2"));
  CHECK(contains(r.out, "instances"));
  r = b.run({"status", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "\"by_type\""));
  CHECK(string_field(r.out, "epoch").size() == 16);
  b.env()["BANLIST_KEY"] = f.issue_key("partner");
  CHECK(b.run({"status"}).exit_code == 3);
}

}  // namespace banlist::test
