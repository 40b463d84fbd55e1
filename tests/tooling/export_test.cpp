// GET /v1/bans/export against a real Redis with 20,000 bans: exact row
// counts and contents for NDJSON and CSV, every filter, masking, raw
// values for admins only and the export_raw audit entry.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "admin_support.hpp"

namespace banlist::test {
namespace {

constexpr int kBans = 20000;

std::string email(int i) {
  return "x" + std::to_string(i) + "@example.com";
}
// Every 4th ban is phishing, every 10th has case C-10, the rest plain.
const char* reason_of(int i) {
  return i % 4 == 0 ? "phishing" : "telecom_fraud";
}

}  // namespace

TEST_CASE("export streams exactly the matching bans", "[tooling][redis][export]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  std::string admin_id;
  const std::string admin = f.issue_key("admin", &admin_id);
  std::string csv = "type,value,reason,case_id,note\n";
  std::map<std::string, int> index_of;  // fp -> i
  for (int i = 0; i < kBans; ++i) {
    csv += "email," + email(i) + "," + reason_of(i) + "," + (i % 10 == 0 ? "C-10" : "") +
           (i == 7 ? ",\"a, \"\"quoted\"\" note\"\n" : ",\n");
    index_of[fp_of(sdk::identifier_type::email, email(i))] = i;
  }
  auto imported = send_body(f, "/v1/bans/import?confirm=true", mod, "text/csv", csv);
  REQUIRE(imported.raw.status == 200);
  REQUIRE(number(imported.lines.back(), "/summary/created") == kBans);

  // Default: NDJSON of every banned record, masked, in ban order.
  auto all = get_lines(f, "/v1/bans/export", mod);
  REQUIRE(all.raw.status == 200);
  CHECK(all.raw.header("content-type") == "application/x-ndjson");
  REQUIRE(all.lines.size() == kBans + 1);
  std::set<std::string> seen;
  std::uint64_t last_seq = 0;
  for (int n = 0; n < kBans; ++n) {
    const auto& row = all.lines[static_cast<std::size_t>(n)];
    const auto fp = field(row, "/fp");
    REQUIRE(index_of.count(fp) == 1);
    const int i = index_of[fp];
    REQUIRE(seen.insert(fp).second);
    REQUIRE_FALSE(has(row, "/value"));  // masked by default
    REQUIRE(field(row, "/masked").find(email(i)) == std::string::npos);
    REQUIRE(field(row, "/reason") == reason_of(i));
    REQUIRE(field(row, "/case_id") == (i % 10 == 0 ? "C-10" : ""));
    REQUIRE(field(row, "/status") == "banned");
    REQUIRE(field(row, "/type") == "email");
    const auto seq = number(row, "/seq");
    REQUIRE(seq == last_seq + 1);  // import order = ban order
    last_seq = seq;
  }
  CHECK(all.lines.back() == R"({"summary":{"rows":20000,"complete":true}})");
  CHECK(field(all.lines[7], "/note") == "a, \"quoted\" note");

  auto rows = [&](const std::string& query, const std::string& key) {
    auto r = get_lines(f, "/v1/bans/export?" + query, key);
    REQUIRE(r.raw.status == 200);
    return number(r.lines.back(), "/summary/rows");
  };
  CHECK(rows("reason=phishing", mod) == kBans / 4);
  CHECK(rows("case_id=C-10", mod) == kBans / 10);
  CHECK(rows("case_id=C-10&reason=phishing", mod) == kBans / 20);
  CHECK(rows("type=phone", mod) == 0);
  CHECK(rows("since=4102444800", mod) == 0);
  CHECK(rows("until=2000-01-01T00:00:00Z", mod) == 0);
  CHECK(rows("since=2000-01-01T00:00:00Z&until=4102444800", mod) == kBans);

  // CSV: header, one line per ban, RFC 4180 quoting.
  auto as_csv = get_lines(f, "/v1/bans/export?format=csv&case_id=C-10", mod);
  REQUIRE(as_csv.raw.status == 200);
  CHECK(as_csv.raw.header("content-type").starts_with("text/csv"));
  REQUIRE(as_csv.lines.size() == kBans / 10 + 1);
  CHECK(as_csv.lines[0] ==
        "fp,type,masked,reason,note,case_id,source,public,banned_at,banned_by,expires_at,seq,"
        "status");
  const auto first_fp = fp_of(sdk::identifier_type::email, email(0));
  CHECK(as_csv.lines[1].starts_with(first_fp + ",email,"));
  {
    std::vector<std::string> cells;
    std::string cell;
    for (char ch : as_csv.lines[1] + ",") {
      if (ch == ',') {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += ch;
      }
    }
    auto record = get_lines(f, "/v1/bans/" + first_fp, mod).raw;
    REQUIRE(cells.size() == 13);
    CHECK(cells[2] == json_string(record, "/masked"));
    CHECK(cells[3] == "phishing");
    CHECK(cells[4].empty());
    CHECK(cells[5] == "C-10");
    CHECK(cells[7] == "false");
    CHECK(cells[8] == json_string(record, "/banned_at"));
    CHECK(cells[9] == json_string(record, "/banned_by"));
    CHECK(cells[10].empty());
    CHECK(cells[11] == "1");
    CHECK(cells[12] == "banned");
  }
  auto quoted = get_lines(f, "/v1/bans/export?format=csv", mod);
  REQUIRE(quoted.lines.size() == kBans + 1);
  CHECK(quoted.lines[8].find(",\"a, \"\"quoted\"\" note\",") != std::string::npos);

  // Lifted records: their own index.
  std::string lift = "fp\n";
  for (int i = 0; i < 100; ++i)
    lift += fp_of(sdk::identifier_type::email, email(i * 3)) + "\n";
  auto lifted = send_body(f, "/v1/bans/lift?lines=100", mod, "text/csv", lift);
  REQUIRE(number(lifted.lines.back(), "/summary/lifted") == 100);
  CHECK(rows("status=lifted", mod) == 100);
  CHECK(rows("", mod) == kBans - 100);
  CHECK(rows("status=all", mod) == kBans);
  auto lifted_rows = get_lines(f, "/v1/bans/export?status=lifted", mod);
  CHECK(field(lifted_rows.lines[0], "/status") == "lifted");
  CHECK(field(lifted_rows.lines[0], "/fp") == first_fp);

  // Raw values: admins only, audited before the first row.
  auto refused = get_lines(f, "/v1/bans/export?raw=true", mod);
  CHECK(refused.raw.status == 403);
  CHECK(refused.raw.body.find("@example.com") == std::string::npos);
  auto c = f.client();
  CHECK(c.get("/v1/audit?action=export_raw", mod).body.find("\"entries\":[]") != std::string::npos);
  auto raw = get_lines(f, "/v1/bans/export?raw=true&reason=phishing&format=ndjson", admin);
  REQUIRE(raw.raw.status == 200);
  REQUIRE(number(raw.lines.back(), "/summary/rows") == kBans / 4 - 25);  // 25 of them lifted
  for (std::size_t n = 0; n + 1 < raw.lines.size(); ++n) {
    const auto& row = raw.lines[n];
    REQUIRE(field(row, "/value") == email(index_of[field(row, "/fp")]));
  }
  auto raw_csv = get_lines(f, "/v1/bans/export?raw=true&format=csv&case_id=C-10", admin);
  CHECK(raw_csv.lines[0].ends_with(",status,value"));
  CHECK(raw_csv.lines[1].ends_with(",banned," + email(10)));  // x0 is lifted
  auto audit = c.get("/v1/audit?action=export_raw", mod);
  auto entries = audit.json()["entries"].get_array();
  REQUIRE(entries.size() == 2);
  std::string_view key_id, detail;
  REQUIRE_FALSE(entries.at(1)["key_id"].get(key_id));
  REQUIRE_FALSE(entries.at(1)["detail"].get(detail));
  CHECK(key_id == admin_id);
  CHECK(detail == "format=ndjson reason=phishing");
  CHECK(audit.body.find("@example.com") == std::string::npos);

  // Bad parameters.
  for (const auto* bad :
       {"format=xml", "status=gone", "type=car", "raw=yes", "since=soon", "colour=red"}) {
    INFO(bad);
    CHECK(get_lines(f, std::string("/v1/bans/export?") + bad, mod).raw.status == 400);
  }
  CHECK(get_lines(f, "/v1/bans/export", f.issue_key("partner")).raw.status == 403);
}

}  // namespace banlist::test
