// GET /v1/deltas against a real Redis: replaying a random history of 10,000
// changes (JSON and binary) ends at exactly the banned set and its digest;
// paging with `more`; long-poll; the 400 and 410 answers; resync through a
// snapshot after the log was trimmed.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/delta_poll.hpp"
#include "deltas_history.hpp"

namespace banlist::test {
namespace {

namespace http = boost::beast::http;
constexpr std::uint64_t kHistorySeed = 20240501;

const std::map<std::string, std::string> kBinary{
    {"Accept", std::string(sdk::kDeltaBinaryMediaType)}};

std::expected<sdk::delta_batch, std::string> poll(http_client& c, const std::string& key,
                                                  const std::string& query, bool binary) {
  auto r = c.request(http::verb::get, "/v1/deltas?" + query, key, "",
                     binary ? kBinary : std::map<std::string, std::string>{});
  if (r.status != 200)
    return std::unexpected(std::to_string(r.status) + " " + r.body);
  if (binary) {
    if (r.header("content-type") != sdk::kDeltaBinaryMediaType)
      return std::unexpected("content type " + r.header("content-type"));
    auto b = sdk::decode_delta_binary(
        std::span(reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size()));
    if (!b)
      return std::unexpected("binary: " + b.error().message());
    return *b;
  }
  auto b = sdk::decode_delta_json(r.body);
  if (!b)
    return std::unexpected("json: " + b.error().message());
  return *b;
}

// Polls from the replica's seq until `more` is false; returns the pages.
std::size_t catch_up(http_client& c, const std::string& key, sdk::replica_set& replica,
                     std::size_t limit, bool binary) {
  std::size_t pages = 0;
  while (true) {
    auto batch =
        poll(c, key, "since=" + std::to_string(replica.seq()) + "&limit=" + std::to_string(limit),
             binary);
    REQUIRE(batch.has_value());
    ++pages;
    if (batch->more) {
      // Never a silently short page: a page with more after it is full.
      REQUIRE(batch->changes.size() == limit);
    }
    auto applied = replica.apply(*batch);
    INFO("apply: " << (applied ? std::string("ok") : applied.error().message()));
    REQUIRE(applied.has_value());
    if (!batch->more)
      return pages;
  }
}

void check_equal(const sdk::replica_set& replica, const delta_history& history) {
  REQUIRE(replica.size() == history.banned().size());
  for (const auto& [fp, e] : history.banned()) {
    const auto* got = replica.find(fp);
    REQUIRE(got != nullptr);
    CHECK(got->type == e.type);
    CHECK(got->reason == e.reason);
  }
  CHECK(replica.digest() == history.digest());
}

std::uint64_t head_of(service_fixture& f) {
  auto s = f.server().state().current_store();
  auto st = store_call([s] { return s->log_state(); });
  REQUIRE(st.has_value());
  return st->head;
}

}  // namespace

TEST_CASE("deltas: replaying 10,000 random changes gives the exact set", "[deltas][redis]") {
  service_fixture f;
  const auto partner = f.issue_key("partner");
  delta_history history(kHistorySeed);
  history.run(f, 10000);
  const std::uint64_t head = head_of(f);
  REQUIRE(head == 10000);
  auto c = f.client();
  const std::uint64_t epoch = f.server().state().epoch();

  SECTION("JSON, default page size") {
    sdk::replica_set replica(epoch);
    CHECK(catch_up(c, partner, replica, 1000, false) == 10);
    CHECK(replica.seq() == head);
    check_equal(replica, history);
  }
  SECTION("binary, full pages") {
    sdk::replica_set replica(epoch);
    CHECK(catch_up(c, partner, replica, 10000, true) == 1);
    check_equal(replica, history);
  }
  SECTION("paging with more: odd page size, then up to date") {
    sdk::replica_set replica(epoch);
    CHECK(catch_up(c, partner, replica, 777, true) == 13);  // ceil(10000 / 777)
    check_equal(replica, history);
    auto last = poll(c, partner, "since=" + std::to_string(head), false);
    REQUIRE(last.has_value());
    CHECK(last->changes.empty());
    CHECK_FALSE(last->more);
    CHECK(last->to == head);
    CHECK(last->digest == history.digest());
    CHECK(last->min_wait_s == f.config().deltas_min_wait_s);
  }
}

TEST_CASE("deltas: bad cursors", "[deltas][redis]") {
  service_fixture f;
  const auto partner = f.issue_key("partner");
  delta_history history(1);
  history.run(f, 10);
  auto c = f.client();
  auto ahead = c.get("/v1/deltas?since=11", partner);
  CHECK(ahead.status == 400);
  CHECK(ahead.error_code() == "invalid_parameter");
  CHECK(c.get("/v1/deltas?since=abc", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=-1", partner).status == 400);
  CHECK(c.get("/v1/deltas", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=0&limit=0", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=0&limit=10001", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=0&wait=31", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=0&colour=red", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=0&epoch=xyz", partner).status == 400);
  CHECK(c.get("/v1/deltas?since=10", partner).status == 200);

  const std::uint64_t epoch = f.server().state().epoch();
  char right[17];
  std::snprintf(right, sizeof right, "%016llx", static_cast<unsigned long long>(epoch));
  char wrong[17];
  std::snprintf(wrong, sizeof wrong, "%016llx", static_cast<unsigned long long>(epoch ^ 1));
  CHECK(c.get(std::string("/v1/deltas?since=0&epoch=") + right, partner).status == 200);
  auto other = c.get(std::string("/v1/deltas?since=0&epoch=") + wrong, partner);
  CHECK(other.status == 410);
  CHECK(other.error_code() == "resync_required");
  CHECK(json_string(other, "/error/snapshot") == "/v1/snapshot?format=fps");
}

TEST_CASE("deltas: long-poll wakes on a change and times out empty", "[deltas][redis]") {
  service_fixture f;
  const auto partner = f.issue_key("partner");
  const auto mod = f.issue_key("moderator");
  delta_history history(2);
  history.run(f, 5);
  const std::uint64_t head = head_of(f);

  SECTION("nothing happens: empty after wait") {
    auto c = f.client();
    const auto start = std::chrono::steady_clock::now();
    auto batch = poll(c, partner, "since=" + std::to_string(head) + "&wait=1", false);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(batch.has_value());
    CHECK(batch->changes.empty());
    CHECK(batch->to == head);
    CHECK(took >= std::chrono::milliseconds(950));
    CHECK(took < std::chrono::milliseconds(3000));
  }
  SECTION("a ban wakes it") {
    auto waiter = std::async(std::launch::async, [&] {
      http_client c(f.port());
      auto batch = poll(c, partner, "since=" + std::to_string(head) + "&wait=20", true);
      return std::make_pair(std::move(batch), std::chrono::steady_clock::now());
    });
    // Let the poll park first (it waits on the filter's seq signal).
    const auto parked_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (f.server().state().filter().seq_advanced().waiting() == 0 &&
           std::chrono::steady_clock::now() < parked_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE(f.server().state().filter().seq_advanced().waiting() == 1);
    auto c = f.client();
    auto ban = c.post("/v1/bans", mod,
                      R"({"type":"email","value":"wake@example.com","reason":"phishing"})");
    const auto banned_at = std::chrono::steady_clock::now();
    REQUIRE(ban.status == 201);
    auto [batch, woke_at] = waiter.get();
    REQUIRE(batch.has_value());
    REQUIRE(batch->changes.size() == 1);
    CHECK(batch->changes[0].seq == head + 1);
    CHECK(batch->changes[0].reason == static_cast<std::uint8_t>(sdk::ban_reason::phishing));
    // The follower sees the change within its XREAD, typically a few ms.
    CHECK(woke_at - banned_at < std::chrono::milliseconds(500));
    CHECK(f.server().state().filter().seq_advanced().waiting() == 0);
  }
}

TEST_CASE("deltas: a trimmed log answers 410, snapshot plus deltas converges", "[deltas][redis]") {
  service_fixture f([](service::service_config& c) {
    c.snapshot_max_age = std::chrono::milliseconds(100);
    c.retention_interval = std::chrono::hours(1);  // this test trims by hand
  });
  const auto partner = f.issue_key("partner");
  delta_history history(kHistorySeed + 1);
  history.run(f, 2000);
  auto s = f.server().state().current_store();
  // (Retention keeps the oldest entry one that stores its digest, a seq
  // that is a multiple of 16: 1504 is one.)
  auto oldest = store_call([s] { return s->trim_log(1504); });
  REQUIRE(oldest.has_value());
  CHECK(*oldest == 1504);
  auto c = f.client();
  auto gone = c.get("/v1/deltas?since=1502", partner);
  CHECK(gone.status == 410);
  CHECK(gone.error_code() == "resync_required");
  CHECK(c.get("/v1/deltas?since=0", partner).status == 410);
  // since == oldest - 1 is still served: the next change is in the log.
  CHECK(c.get("/v1/deltas?since=1503", partner).status == 200);

  // The client's way back: the exact snapshot, then deltas from its seq.
  history.run(f, 300);
  std::optional<sdk::snapshot> snap;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.get("/v1/snapshot?format=fps", partner);
    if (r.status == 200) {
      auto decoded = sdk::decode_snapshot(
          std::span(reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size()));
      REQUIRE(decoded.has_value());
      if (decoded->seq >= 2000) {
        snap.emplace(std::move(*decoded));
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(snap.has_value());
  auto replica = sdk::replica_set::from_snapshot(*snap);
  REQUIRE(replica.has_value());
  history.run(f, 200);
  catch_up(c, partner, *replica, 1000, true);
  CHECK(replica->seq() == 2500);
  check_equal(*replica, history);
}

}  // namespace banlist::test

namespace banlist::test {

// The follower's window trails Redis by a few milliseconds, more under load.
// A poll the window can only half answer must not come back short with
// `more` (CI once saw 128 of 1,000): the log serves the whole page instead.
TEST_CASE("deltas: a window that trails Redis never gives a short page", "[deltas][redis]") {
  service_fixture f;
  delta_history history(kHistorySeed + 2);
  history.run(f, 300);
  auto s = f.server().state().current_store();
  const auto first =
      store_call([s] { return s->read_changes(0, 50, std::chrono::milliseconds(0)); });
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 50);
  service::change_window trailing(1000);
  constexpr std::uint64_t kEpoch = 7;
  trailing.append(kEpoch, *first);  // seq 1..50 of 300

  auto page = [&](std::uint64_t since, std::size_t limit) {
    return store_call([&] {
      return service::read_delta_batch(*s, &trailing, {kEpoch, since, limit, 5});
    });
  };
  auto across = page(10, 100);  // the window holds 40 of them
  REQUIRE(across.has_value());
  CHECK(across->changes.size() == 100);
  CHECK(across->from == 10);
  CHECK(across->to == 110);
  CHECK(across->more);
  CHECK(across->changes.front().seq == 11);
  CHECK(across->changes.back().seq == 110);

  auto inside = page(10, 20);  // whole in the window
  REQUIRE(inside.has_value());
  CHECK(inside->changes.size() == 20);
  CHECK(inside->to == 30);
  CHECK(inside->more);
  CHECK(inside->head >= 300);

  // Both sources give the same bytes for the same page.
  auto from_log = store_call([&] {
    return service::read_delta_batch(*s, nullptr, {kEpoch, 10, 20, 5});
  });
  REQUIRE(from_log.has_value());
  CHECK(from_log->digest == inside->digest);
  CHECK(from_log->changes == inside->changes);
}

TEST_CASE("reasons: bans and lifts accept only the wire vocabulary", "[deltas][redis]") {
  service_fixture f;
  const auto mod = f.issue_key("moderator");
  auto c = f.client();
  auto bad =
      c.post("/v1/bans", mod, R"({"type":"email","value":"r@example.com","reason":"fraud"})");
  CHECK(bad.status == 400);
  CHECK(bad.error_code() == "invalid_reason");
  CHECK(bad.body.find("telecom_fraud") != std::string::npos);  // lists the allowed names
  CHECK(c.post("/v1/bans", mod, R"({"type":"email","value":"r@example.com","reason":"Spam"})")
            .status == 400);
  auto ok = c.post("/v1/bans", mod, R"({"type":"email","value":"r@example.com","reason":"spam"})");
  REQUIRE(ok.status == 201);
  const auto fp = json_string(ok, "/fp");
  auto lift_bad = c.del("/v1/bans/" + fp + "?reason=phishing", mod);  // a ban reason
  CHECK(lift_bad.status == 400);
  CHECK(lift_bad.error_code() == "invalid_reason");
  CHECK(lift_bad.body.find("appeal_granted") != std::string::npos);
  auto lift = c.del("/v1/bans/" + fp, mod);  // no reason: recorded as `other`
  REQUIRE(lift.status == 200);
  auto record = c.get("/v1/bans/" + fp, mod);
  CHECK(json_string(record, "/lift_reason") == "other");
}

}  // namespace banlist::test
