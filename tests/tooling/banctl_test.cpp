// The banctl binary against a real Redis and banlistd: each command of the
// routes that exist today, its output and exit codes (docs/banctl.md), and
// bulk import with its reject file, circuit breaker and resume after banctl
// or the server is killed mid-file.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "banctl_runner.hpp"
#include "banlistd_process.hpp"
#include "service_fixture.hpp"

namespace banlist::test {
namespace {

std::map<std::string, std::string> env_for(std::uint16_t port, const std::string& key) {
  return {{"BANLIST_URL", "http://127.0.0.1:" + std::to_string(port)}, {"BANLIST_KEY", key}};
}

std::uint64_t head_seq(std::uint16_t port) {
  http_client c(port);
  auto reply = c.get("/v1/deltas?since=0&limit=1", kAdminKey);
  REQUIRE(reply.status == 200);
  std::uint64_t seq = 0;
  REQUIRE_FALSE(reply.json()["head"].get(seq));
  return seq;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// A CSV of `n` data lines; every 100th (offset 42) is a bad phone. Returns
// the file line numbers of the bad lines (the header is line 1).
std::set<std::uint64_t> write_csv(const std::filesystem::path& path, int n,
                                  const std::string& tag) {
  std::string body = "type,value,reason,case_id\n";
  std::set<std::uint64_t> bad;
  for (int i = 0; i < n; ++i) {
    if (i % 100 == 42) {
      body += "phone,12ab" + std::to_string(i) + ",telecom_fraud,c\n";
      bad.insert(static_cast<std::uint64_t>(i) + 2);
    } else {
      body += "email," + tag + std::to_string(i) + "@example.com,telecom_fraud,case-7\n";
    }
  }
  write_file(path, body);
  return bad;
}

// The line numbers in a CSV reject file (first column), checking each
// entry carries the error and the original line.
std::vector<std::uint64_t> reject_lines(const std::filesystem::path& path) {
  auto lines = lines_of(slurp(path));
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "line,error_code,error_message,type,value,reason,case_id");
  std::vector<std::uint64_t> numbers;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto comma = lines[i].find(',');
    REQUIRE(comma != std::string::npos);
    numbers.push_back(std::stoull(lines[i].substr(0, comma)));
    CHECK(lines[i].find(",invalid_identifier,") != std::string::npos);
    CHECK(lines[i].find(",phone,12ab") != std::string::npos);
  }
  return numbers;
}

// "prefix<i>@example.com", built with append: operator+ on temporaries trips
// g++ 12's -Wrestrict at -O3.
std::string email(const char* prefix, int i) {
  std::string text(prefix);
  text.append(std::to_string(i));
  text.append("@example.com");
  return text;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Waits until the state file says at least `line` lines are done.
bool wait_for_progress(const std::filesystem::path& state, std::uint64_t line, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto text = slurp(state);
    const auto at = text.find("\"next_line\":");
    if (at != std::string::npos && std::stoull(text.substr(at + 12)) >= line)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("banctl ban, show, list, lift: output and exit codes", "[tooling][banctl][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  banctl_runner b(env_for(f.port(), mod));
  const std::string fp = fp_of(sdk::identifier_type::phone, "13800138000");

  auto r = b.run({"ban", "phone", "+86 138 0013 8000", "--reason", "telecom_fraud", "--case",
                  "C-17", "--note", "from complaint 9"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "banned " + fp));
  CHECK(contains(r.out, "138****8000"));
  r = b.run({"ban", "phone", "13800138000", "--reason", "telecom_fraud"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "already banned " + fp));
  CHECK(head_seq(f.port()) == 1);

  // Bad input: the server's rule reaches the user, nothing changes.
  r = b.run({"ban", "phone", "12ab", "--reason", "telecom_fraud"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "400 invalid_identifier"));
  r = b.run({"ban", "email", "x@example.com", "--reason", "not_a_reason"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "invalid_reason"));
  CHECK(head_seq(f.port()) == 1);
  // Usage errors never reach the server.
  CHECK(b.run({"ban", "phone", "13800138001"}).exit_code == 2);
  CHECK(b.run({"ban", "phone"}).exit_code == 2);
  CHECK(b.run({"ban", "phone", "1", "--reason", "spam", "--expires", "soon"}).exit_code == 2);
  CHECK(b.run({"show", "nothex"}).exit_code == 2);
  CHECK(b.run({"nosuchcommand"}).exit_code == 2);

  r = b.run({"show", fp});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "value:"));
  CHECK(contains(r.out, "+8613800138000"));
  CHECK(contains(r.out, "C-17"));
  r = b.run({"show", "--type", "phone", "--value", "138 0013 8000", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "\"fp\":\"" + fp + "\""));

  r = b.run({"list"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "FP"));
  CHECK(contains(r.out, fp));
  r = b.run({"list", "--type", "email"});
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(contains(r.out, fp));

  r = b.run({"lift", "--type", "phone", "--value", "13800138000", "--reason", "appeal_granted"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "lifted " + fp));
  r = b.run({"lift", fp});
  CHECK(r.exit_code == 4);
  CHECK(contains(r.err, "404 not_banned"));
  r = b.run({"lift", fp, "--reason", "because"});
  CHECK(r.exit_code == 1);
  r = b.run({"show", fp, "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "\"status\":\"lifted\""));
  CHECK(contains(r.out, "\"lift_reason\":\"appeal_granted\""));
  CHECK(b.run({"show", fp_of(sdk::identifier_type::phone, "13900139000")}).exit_code == 4);
}

TEST_CASE("banctl list --all follows string cursors across pages", "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(b.run({"ban", "email", email("p", i), "--reason", "spam"}).exit_code == 0);
  }
  auto r = b.run({"list", "--limit", "2"});
  REQUIRE(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 3);  // header + 2
  CHECK(contains(r.err, "more: banctl list --cursor "));
  r = b.run({"list", "--limit", "2", "--all", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto items = lines_of(r.out);
  CHECK(items.size() == 5);
  std::set<std::string> distinct(items.begin(), items.end());
  CHECK(distinct.size() == 5);
}

TEST_CASE("banctl exit codes for auth, role, connection and key sources",
          "[tooling][banctl][redis]") {
  service_fixture f;
  std::string partner_id;
  const std::string partner = f.issue_key("partner", &partner_id);
  banctl_runner b(env_for(f.port(), "wrong-key-0123456789abcdef0123"));
  auto r = b.run({"list"});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "401"));
  CHECK(contains(r.err, "check BANLIST_KEY"));
  CHECK_FALSE(contains(r.err, "wrong-key"));  // the key is never printed

  b.env()["BANLIST_KEY"] = partner;
  r = b.run({"list"});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "403"));
  CHECK_FALSE(contains(r.err, partner));

  b.env().erase("BANLIST_KEY");
  r = b.run({"list"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "BANLIST_KEY"));
  // --key-file works, and beats the environment.
  write_file(b.dir() / "key", kAdminKey + "\n");
  b.env()["BANLIST_KEY"] = "wrong-key-0123456789abcdef0123";
  r = b.run({"list", "--key-file", (b.dir() / "key").string()});
  CHECK(r.exit_code == 0);
  r = b.run({"list", "--key-file", (b.dir() / "missing").string()});
  CHECK(r.exit_code == 2);

  r = b.run({"list", "--url", "http://127.0.0.1:1", "--key", kAdminKey});
  CHECK(r.exit_code == 7);
  CHECK(contains(r.err, "cannot connect"));
  CHECK(contains(r.err, "BANLIST_URL"));
  r = b.run({"list", "--url", "ftp://x", "--key", kAdminKey});
  CHECK(r.exit_code == 2);
}

TEST_CASE("banctl keys create, list, revoke", "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), kAdminKey));
  auto r = b.run({"keys", "create", "--role", "partner", "--name", "Shop A"});
  REQUIRE(r.exit_code == 0);
  const std::string secret = lines_of(r.out).at(0);
  CHECK(contains(r.err, "shown only this once"));
  {
    http_client c(f.port());
    CHECK(c.get("/v1/check?type=phone&value=13800138000", secret).status == 200);
  }
  r = b.run({"keys", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "Shop A"));
  CHECK_FALSE(contains(r.out, secret));
  r = b.run({"keys", "list", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto at = r.out.find("\"name\":\"Shop A\"");
  REQUIRE(at != std::string::npos);
  const auto id_at = r.out.rfind("\"id\":\"", at);
  REQUIRE(id_at != std::string::npos);
  const std::string id = r.out.substr(id_at + 6, r.out.find('"', id_at + 6) - id_at - 6);
  r = b.run({"keys", "revoke", id});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "revoked key " + id));
  {
    http_client c(f.port());
    CHECK(c.get("/v1/check?type=phone&value=13800138000", secret).status == 401);
  }
  CHECK(b.run({"keys", "revoke", "ffffffffffffffff"}).exit_code == 4);
  CHECK(b.run({"keys", "create", "--role", "partner"}).exit_code == 2);
  CHECK(b.run({"keys", "create", "--role", "emperor", "--name", "x"}).exit_code == 1);
  // A moderator may not manage keys.
  b.env()["BANLIST_KEY"] = f.issue_key("moderator");
  CHECK(b.run({"keys", "list"}).exit_code == 3);
}

TEST_CASE("banctl audit shows mutations, pages with --all", "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  for (int i = 0; i < 3; ++i)
    REQUIRE(b.run({"ban", "email", email("a", i), "--reason", "spam"}).exit_code == 0);
  auto r = b.run({"audit", "--limit", "2"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "ACTION"));
  CHECK(contains(r.out, "ban"));
  CHECK(contains(r.err, "more: banctl audit --before "));
  r = b.run({"audit", "--limit", "1", "--all", "--json"});
  REQUIRE(r.exit_code == 0);
  int bans = 0;
  for (const auto& line : lines_of(r.out))
    bans += contains(line, "\"action\":\"ban\"") ? 1 : 0;
  CHECK(bans == 3);
  CHECK(b.run({"audit", "--limit", "zero"}).exit_code == 1);
}

TEST_CASE("banctl bulletins create, list, show, edit, withdraw", "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  write_file(b.dir() / "body.txt", "First paragraph.\n\nSecond paragraph.");
  auto r = b.run({"bulletins", "create", "--title", "Fake parcel SMS", "--body-file",
                  (b.dir() / "body.txt").string(), "--json"});
  REQUIRE(r.exit_code == 0);
  const auto at = r.out.find("\"id\":\"");
  REQUIRE(at != std::string::npos);  // the id is a JSON string and stays one
  const std::string id = r.out.substr(at + 6, r.out.find('"', at + 6) - at - 6);
  r = b.run({"bulletins", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "Fake parcel SMS"));
  r = b.run({"bulletins", "show", id});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "Second paragraph."));
  r = b.run({"bulletins", "edit", id, "--title", "Fake parcel SMS (update)", "--body", "New."});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(b.run({"bulletins", "show", id}).out, "(update)"));
  r = b.run({"bulletins", "withdraw", id});
  REQUIRE(r.exit_code == 0);
  CHECK(b.run({"bulletins", "show", id}).exit_code == 4);
  CHECK(b.run({"bulletins", "create", "--title", "x"}).exit_code == 2);
  CHECK(b.run({"bulletins", "create", "--title", "x", "--body", "y", "--link", "zz"}).exit_code ==
        1);
}

TEST_CASE("banctl import: per-line results, reject file, circuit breaker",
          "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  const auto csv = b.dir() / "bans.csv";
  const auto bad = write_csv(csv, 2000, "u");

  // Over 10% of an empty list: refused before any change, exit 5.
  auto r = b.run({"import", csv.string()});
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "--confirm"));
  CHECK(head_seq(f.port()) == 0);
  CHECK_FALSE(std::filesystem::exists(csv.string() + ".import.state"));

  r = b.run({"import", csv.string(), "--confirm"});
  CHECK(r.exit_code == 1);  // rejected lines
  CHECK(contains(r.out, "1980 created"));
  CHECK(contains(r.out, "20 rejected"));
  CHECK(head_seq(f.port()) == 1980);
  const auto rejects = reject_lines(csv.string() + ".import.rejects");
  CHECK(std::set<std::uint64_t>(rejects.begin(), rejects.end()) == bad);
  CHECK(rejects.size() == bad.size());
  CHECK_FALSE(std::filesystem::exists(csv.string() + ".import.state"));

  // Again: everything exists, nothing changes; --json summary.
  r = b.run({"import", csv.string(), "--confirm", "--json"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "\"exists\":1980"));
  CHECK(contains(r.out, "\"complete\":true"));
  CHECK(head_seq(f.port()) == 1980);

  // A small import needs no --confirm (under 10% of 1980 and the minimum 100).
  const auto nd = b.dir() / "few.ndjson";
  write_file(nd, R"({"type":"email","value":"n1@example.com","reason":"spam"})"
                 "\n\n"
                 R"({"type":"email","value":"n2@example.com","reason":"nope"})"
                 "\n"
                 "not json\n"
                 R"({"type":"email","value":"n3@example.com","reason":"spam"})"
                 "\n");
  r = b.run({"import", nd.string(), "--rejects", (b.dir() / "few.rej").string()});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "2 created"));
  const auto rej = lines_of(slurp(b.dir() / "few.rej"));
  REQUIRE(rej.size() == 2);
  CHECK(contains(rej[0], "\"line\":3"));
  CHECK(contains(rej[0], "invalid_reason"));
  CHECK(contains(rej[0], R"("input":"{\"type\":\"email\",\"value\":\"n2@example.com\")"));
  CHECK(contains(rej[1], "\"line\":4"));
  CHECK(contains(rej[1], "\"input\":\"not json\""));
  CHECK(head_seq(f.port()) == 1982);

  // A clean file exits 0; a CSV without the required columns is refused whole.
  write_file(b.dir() / "ok.csv", "type,value,reason\nemail,ok1@example.com,spam\n");
  CHECK(b.run({"import", (b.dir() / "ok.csv").string()}).exit_code == 0);
  write_file(b.dir() / "cols.csv", "type,value\nemail,c@example.com\n");
  r = b.run({"import", (b.dir() / "cols.csv").string()});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "missing_column"));
  CHECK(b.run({"import", (b.dir() / "x.txt").string()}).exit_code == 2);
  CHECK(head_seq(f.port()) == 1983);
}

TEST_CASE("banctl import resumes after banctl is killed mid-file, without duplicates",
          "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  const auto csv = b.dir() / "big.csv";
  constexpr int kLines = 4000;
  const auto bad = write_csv(csv, kLines, "k");
  const auto state = csv.string() + ".import.state";
  b.start({"import", csv.string(), "--confirm", "--max-rate", "2000"});
  REQUIRE(wait_for_progress(state, 600, 20));
  b.kill9();
  auto killed = b.finish();
  CHECK(killed.exit_code == 128 + SIGKILL);
  REQUIRE(std::filesystem::exists(state));
  const auto applied = head_seq(f.port());
  CHECK(applied > 0);
  CHECK(applied < kLines - bad.size());

  auto r = b.run({"import", csv.string(), "--confirm"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "resuming"));
  CHECK_FALSE(contains(r.err, "at line 2 "));
  // Every valid line banned exactly once: the change log holds no duplicates.
  CHECK(head_seq(f.port()) == kLines - bad.size());
  // The summary covers the whole file across both runs: lines the server
  // applied after banctl's last save come back as "exists".
  auto json = b.run({"import", csv.string(), "--confirm", "--json", "--restart"});
  CHECK(contains(json.out, "\"exists\":" + std::to_string(kLines - bad.size())));
  // Each bad line is in the reject file exactly once, despite the kill.
  const auto rejects = reject_lines(csv.string() + ".import.rejects");
  CHECK(std::set<std::uint64_t>(rejects.begin(), rejects.end()) == bad);
  CHECK(rejects.size() == bad.size());
  CHECK_FALSE(std::filesystem::exists(state));
}

TEST_CASE("banctl import resumes after the server dies mid-file", "[tooling][banctl][redis]") {
  redis_server redis;
  banlistd_process server(redis.url());
  banctl_runner b(env_for(server.port(), kAdminKey));
  const auto csv = b.dir() / "big.csv";
  constexpr int kLines = 4000;
  const auto bad = write_csv(csv, kLines, "s");
  const auto state = csv.string() + ".import.state";
  b.start({"import", csv.string(), "--confirm", "--max-rate", "2000"});
  REQUIRE(wait_for_progress(state, 600, 20));
  server.kill9();
  auto broken = b.finish();
  CHECK((broken.exit_code == 7 || broken.exit_code == 6));
  CHECK(contains(broken.err, "run the same command again to resume"));
  REQUIRE(std::filesystem::exists(state));

  // While the server is down: connection refused, exit 7, progress kept.
  auto down = b.run({"import", csv.string(), "--confirm"});
  CHECK(down.exit_code == 7);
  REQUIRE(std::filesystem::exists(state));

  server.restart();
  server.wait_ready();
  auto r = b.run({"import", csv.string(), "--confirm"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "resuming"));
  CHECK(head_seq(server.port()) == kLines - bad.size());
  const auto rejects = reject_lines(csv.string() + ".import.rejects");
  CHECK(std::set<std::uint64_t>(rejects.begin(), rejects.end()) == bad);
  CHECK(rejects.size() == bad.size());
  CHECK_FALSE(std::filesystem::exists(state));
}

TEST_CASE("banctl import starts over when the file changed", "[tooling][banctl][redis]") {
  service_fixture f;
  banctl_runner b(env_for(f.port(), f.issue_key("moderator")));
  const auto csv = b.dir() / "c.csv";
  write_csv(csv, 50, "c");
  // A stale state for another version of the file.
  write_file(csv.string() + ".import.state",
             R"({"path":"/elsewhere","size":1,"mtime_ns":1,"prefix_hash":"00","url":"x",)"
             R"("operation":"import","next_line":40,"reject_size":0,"counts":{}})"
             "\n");
  auto r = b.run({"import", csv.string(), "--confirm"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "starting from line 1"));
  CHECK(contains(r.out, "49 created"));
  CHECK(head_seq(f.port()) == 49);
}

}  // namespace banlist::test
