// GET /v1/stream (WebSocket) against a real redis-server: replay and live
// hand-over under random disconnects, heartbeats, resets for a cursor the
// log cannot serve, the 4 KiB inbound limit, acks and lag, and close 1001
// at shutdown.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

void fast_heartbeat(service::service_config& c) {
  c.heartbeat_interval = 200ms;
}

}  // namespace

TEST_CASE("a subscriber cut at random points and resumed misses nothing and repeats nothing",
          "[stream][redis]") {
  service_fixture f(fast_heartbeat);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  const std::uint64_t epoch = f.server().state().epoch();

  // Some history before the first subscription, so it starts with a replay.
  auto writer_client = f.client();
  std::set<std::string> expected;
  std::vector<std::string> banned;
  int counter = 0;
  for (; counter < 20; ++counter) {
    std::string fp;
    ban_email(writer_client, mod, "pre" + std::to_string(counter) + "@example.com", &fp);
    expected.insert(fp);
    banned.push_back(fp);
  }

  // A writer bans and lifts while the subscriber comes and goes.
  std::atomic<bool> writing{true};
  std::atomic<std::uint64_t> last_seq{0};
  std::thread writer([&] {
    std::mt19937 rng(7);
    for (int i = 0; i < 150; ++i) {
      std::string fp;
      std::uint64_t seq = 0;
      if (rng() % 4 == 0 && !banned.empty()) {
        const std::size_t k = rng() % banned.size();
        fp = banned[k];
        banned.erase(banned.begin() + static_cast<long>(k));
        seq = lift_fp(writer_client, mod, fp);
        expected.erase(fp);
      } else {
        seq = ban_email(writer_client, mod, "live" + std::to_string(i) + "@example.com", &fp);
        banned.push_back(fp);
        expected.insert(fp);
      }
      last_seq = seq;
      if (rng() % 8 == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
    }
    writing = false;
  });

  sdk::replica_set replica(epoch);
  std::mt19937 rng(42);
  int connections = 0;
  int batches = 0;
  bool matched_heartbeat = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    ++connections;
    ws_client ws(f.port(), "/v1/stream?since=" + std::to_string(replica.seq()), partner);
    const int keep = 1 + static_cast<int>(rng() % 6);  // messages before the cut
    for (int n = 0; n < keep; ++n) {
      auto text = ws.read();
      REQUIRE(text);
      auto message = decode(*text);
      if (auto* batch = std::get_if<sdk::delta_batch>(&message)) {
        INFO("batch from " << batch->from << " to " << batch->to << ", replica at "
                           << replica.seq());
        REQUIRE(batch->from == replica.seq());  // no gap, no duplicate
        auto applied = replica.apply(*batch);
        REQUIRE(applied);  // digest checked against the server's
        ++batches;
      } else if (auto* beat = std::get_if<sdk::heartbeat>(&message)) {
        CHECK(beat->epoch == epoch);
        if (beat->head == replica.seq()) {
          CHECK(beat->digest == replica.digest());
          if (!writing && replica.seq() == last_seq)
            matched_heartbeat = true;
        }
      } else {
        FAIL("unexpected reset: " << *text);
      }
    }
    ws.drop();
    if (!writing && replica.seq() == last_seq && matched_heartbeat)
      break;
  }
  writer.join();
  CHECK(connections > 5);
  CHECK(batches > 5);
  CHECK(replica.seq() == last_seq);
  CHECK(matched_heartbeat);
  CHECK(replica_fps(replica) == expected);
}

TEST_CASE("heartbeats carry head and digest when nothing changes", "[stream][redis]") {
  service_fixture f(fast_heartbeat);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::uint64_t seq = ban_email(c, mod, "beat@example.com");
  sdk::replica_set replica(f.server().state().epoch());
  ws_client ws(f.port(), "/v1/stream?since=0", partner);
  auto first = decode(*ws.read());
  REQUIRE(std::holds_alternative<sdk::delta_batch>(first));
  REQUIRE(replica.apply(std::get<sdk::delta_batch>(first)));
  const auto before = std::chrono::steady_clock::now();
  auto second = decode(*ws.read(5s));
  REQUIRE(std::holds_alternative<sdk::heartbeat>(second));
  const auto& beat = std::get<sdk::heartbeat>(second);
  CHECK(beat.head == seq);
  CHECK(beat.digest == replica.digest());
  CHECK(std::chrono::steady_clock::now() - before >= 100ms);
}

// Live batches to idle subscribers are written straight from the hub's post
// while run() stays parked, and each completion chains the next queued
// batch (subscription_feed.hpp). Bans in bursts make both happen: every
// subscriber must still see each seq once, in order, and end on the digest.
TEST_CASE("subscribers fed by bursts of live batches see every seq once, in order",
          "[stream][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  const std::uint64_t epoch = f.server().state().epoch();
  auto c = f.client();
  std::set<std::string> expected;
  std::string fp;
  ban_email(c, mod, "burst-start@example.com", &fp);
  expected.insert(fp);
  constexpr int kSubscribers = 20;
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int i = 0; i < kSubscribers; ++i)
    clients.push_back(std::make_unique<ws_client>(f.port(), "/v1/stream?since=0", partner));
  std::this_thread::sleep_for(200ms);  // replays done: what follows is live
  std::mt19937 rng(11);
  std::uint64_t last_seq = 0;
  for (int i = 0; i < 120; ++i) {
    last_seq = ban_email(c, mod, "burst" + std::to_string(i) + "@example.com", &fp);
    expected.insert(fp);
    if (rng() % 10 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 15));
  }
  for (auto& ws : clients) {
    sdk::replica_set replica(epoch);
    std::uint64_t previous = 0;
    while (replica.seq() < last_seq) {
      auto text = ws->read(5s);
      REQUIRE(text);
      auto message = decode(*text);
      INFO(*text);
      REQUIRE(std::holds_alternative<sdk::delta_batch>(message));
      const auto& batch = std::get<sdk::delta_batch>(message);
      CHECK(batch.from == previous);
      previous = batch.to;
      REQUIRE(replica.apply(batch));
    }
    CHECK(replica.seq() == last_seq);
    CHECK(replica_fps(replica) == expected);
  }
}

// The heartbeat timer is armed once per interval and re-arms itself while
// messages go out (subscription_feed.hpp): a regression would send a
// heartbeat one interval after the subscription started, in the middle of
// a run of changes, or none after it.
TEST_CASE("a heartbeat comes one interval after the last change, not during a run of changes",
          "[stream][redis]") {
  constexpr auto kInterval = 1000ms;
  service_fixture f([&](service::service_config& c) { c.heartbeat_interval = kInterval; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::uint64_t start = ban_email(c, mod, "run0@example.com");
  ws_client ws(f.port(), "/v1/stream?since=" + std::to_string(start), partner);
  // 25 changes 100 ms apart: 2.5 s of traffic, more than two intervals.
  std::uint64_t last_seq = start;
  auto last_change = std::chrono::steady_clock::now();
  for (int i = 1; i <= 25; ++i) {
    last_seq = ban_email(c, mod, "run" + std::to_string(i) + "@example.com");
    auto text = ws.read(5s);
    REQUIRE(text);
    auto message = decode(*text);
    INFO(*text);
    REQUIRE(std::holds_alternative<sdk::delta_batch>(message));
    CHECK(std::get<sdk::delta_batch>(message).to == last_seq);
    last_change = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(100ms);
  }
  auto text = ws.read(5s);
  REQUIRE(text);
  const auto beat_at = std::chrono::steady_clock::now();
  auto message = decode(*text);
  REQUIRE(std::holds_alternative<sdk::heartbeat>(message));
  CHECK(std::get<sdk::heartbeat>(message).head == last_seq);
  // The server starts the interval when it hands the change to the socket,
  // a little before this client saw it.
  CHECK(beat_at - last_change >= kInterval - 50ms);
}

TEST_CASE("a cursor the log cannot serve gets reset resync_required", "[stream][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  ban_email(c, mod, "one@example.com");

  SECTION("beyond the head (another history)") {
    ws_client ws(f.port(), "/v1/stream?since=999", partner);
    auto m = decode(*ws.read());
    REQUIRE(std::holds_alternative<sdk::reset_notice>(m));
    CHECK(std::get<sdk::reset_notice>(m).reason == sdk::reset_reason::resync_required);
    CHECK(std::get<sdk::reset_notice>(m).last_seq == 999);
    CHECK_FALSE(ws.read());  // then the server closes
  }
  SECTION("another epoch") {
    ws_client ws(f.port(), "/v1/stream?since=0&epoch=0000000000000001", partner);
    auto m = decode(*ws.read());
    REQUIRE(std::holds_alternative<sdk::reset_notice>(m));
    CHECK(std::get<sdk::reset_notice>(m).reason == sdk::reset_reason::resync_required);
    CHECK_FALSE(ws.read());
  }
}

TEST_CASE("the stream refuses bad requests before upgrading", "[stream][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  CHECK(ws_upgrade_status(f.port(), "/v1/stream?since=0", "") == 401);
  CHECK(ws_upgrade_status(f.port(), "/v1/stream", partner) == 400);
  CHECK(ws_upgrade_status(f.port(), "/v1/stream?since=-1", partner) == 400);
  CHECK(ws_upgrade_status(f.port(), "/v1/stream?since=0&x=1", partner) == 400);
  auto c = f.client();
  auto plain = c.get("/v1/stream?since=0", partner);
  CHECK(plain.status == 426);
  CHECK(plain.error_code() == "upgrade_required");
}

TEST_CASE("an inbound message over 4 KiB closes the socket", "[stream][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  ws_client ws(f.port(), "/v1/stream?since=0", partner);
  ws.send(R"({"op":"ack","seq":0})");  // small messages are fine
  ws.send(std::string(5000, 'x'));
  std::optional<std::string> got;
  do {
    got = ws.read(5s);  // heartbeats may come first; then the close
  } while (got);
  CHECK(ws.close_code() == 1009);  // message too big
}

TEST_CASE("acks update the lag shown by GET /v1/subscribers and /metrics", "[stream][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  std::string partner_id;
  const std::string partner = f.issue_key("partner", &partner_id);
  auto c = f.client();
  std::uint64_t head = 0;
  for (int i = 0; i < 3; ++i)
    head = ban_email(c, mod, "ack" + std::to_string(i) + "@example.com");

  ws_client ws(f.port(), "/v1/stream?since=0", partner);
  std::uint64_t seen = 0;
  while (seen < head) {
    auto m = decode(*ws.read());
    if (auto* b = std::get_if<sdk::delta_batch>(&m))
      seen = b->to;
  }
  auto lag_of_partner = [&](std::uint64_t* applied) -> std::optional<std::uint64_t> {
    auto r = c.get("/v1/subscribers", kAdminKey);
    REQUIRE(r.status == 200);
    for (auto s : r.json()["subscribers"].get_array()) {
      std::string_view key;
      if (s["key_id"].get(key) || key != partner_id)
        continue;
      std::uint64_t lag = 0, a = 0;
      if (s["lag"].get(lag) || s["applied_seq"].get(a))
        return std::nullopt;  // no ack yet: applied_seq is null
      *applied = a;
      return lag;
    }
    return std::nullopt;
  };
  auto wait_for_applied = [&](std::uint64_t want) {
    std::uint64_t applied = 0;
    std::optional<std::uint64_t> lag;
    for (int i = 0; i < 200; ++i) {
      lag = lag_of_partner(&applied);
      if (lag && applied == want)
        break;
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(lag);
    CHECK(applied == want);
    return *lag;
  };
  // Lag is measured from this instance's head, which its change follower
  // advances asynchronously (the replay above came from Redis): wait for it.
  for (int i = 0; i < 500 && f.server().state().hub().head() < head; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(f.server().state().hub().head() == head);
  ws.send(R"({"op":"ack","seq":1})");
  CHECK(wait_for_applied(1) == head - 1);
  auto metrics = c.get("/metrics");
  CHECK(metrics.body.find("banlist_subscriber_lag{key_id=\"" + partner_id + "\"} " +
                          std::to_string(head - 1)) != std::string::npos);
  ws.send(R"({"op":"ack","seq":)" + std::to_string(head) + "}");
  CHECK(wait_for_applied(head) == 0);
  auto list = c.get("/v1/subscribers", partner);
  CHECK(list.status == 403);
}

TEST_CASE("graceful shutdown sends reset shutdown and close 1001 with the last seq",
          "[stream][redis]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::uint64_t head = ban_email(c, mod, "bye@example.com");
  ws_client ws(f.port(), "/v1/stream?since=0", partner);
  auto first = decode(*ws.read());
  REQUIRE(std::holds_alternative<sdk::delta_batch>(first));
  f.server().stop();
  auto m = decode(*ws.read());
  REQUIRE(std::holds_alternative<sdk::reset_notice>(m));
  CHECK(std::get<sdk::reset_notice>(m).reason == sdk::reset_reason::shutdown);
  CHECK(std::get<sdk::reset_notice>(m).last_seq == head);
  CHECK_FALSE(ws.read());
  CHECK(ws.close_code() == 1001);
  CHECK(ws.close_reason() == "last_seq=" + std::to_string(head));
}
