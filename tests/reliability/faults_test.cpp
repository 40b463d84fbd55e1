// Fault injection against the whole service, judged by history_checker:
//   - kill -9 of redis-server during 1,000 concurrent bans over HTTP, then a
//     restart on the same data: no acknowledged ban lost, none invented, and
//     Redis, /v1/check and an SDK replica end with the same set;
//   - a torn AOF tail: Redis restarted on copies of its data cut at 20
//     random offsets is consistent each time (record, seq, log and digest
//     agree) and holds a prefix of the history.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "banlist/sdk/identifier.hpp"
#include "final_state.hpp"
#include "history_checker.hpp"
#include "service_fixture.hpp"
#include "store/redis_process.hpp"
#include "workload.hpp"

namespace banlist::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The outcome of one write as a partner or moderator must read it.
op_outcome outcome_of(const http_reply& r) {
  if (r.status == 200 || r.status == 201)
    return op_outcome::ok;
  if (r.status == 503 && r.error_code() == "outcome_unknown")
    return op_outcome::unknown;
  return op_outcome::failed;  // 503 store_unavailable: nothing was changed
}

// Waits until the instance is ready and its filter covers `seq`.
void wait_caught_up(service_fixture& f, std::uint64_t seq) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto c = f.client();
  while (true) {
    if (c.get("/readyz").status == 200 && f.server().state().filter().seq() >= seq)
      return;
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("the instance did not catch up with seq " << seq);
    std::this_thread::sleep_for(20ms);
  }
}

// The incremental AOF file of a Redis 7 data dir (appendonlydir/*.incr.aof).
fs::path incr_aof(const fs::path& data_dir) {
  for (const auto& e : fs::directory_iterator(data_dir / "appendonlydir")) {
    if (e.path().string().ends_with(".incr.aof"))
      return e.path();
  }
  throw std::runtime_error("no incremental AOF in " + data_dir.string());
}

}  // namespace

TEST_CASE("kill -9 of Redis during 1,000 concurrent HTTP bans: nothing acknowledged is lost",
          "[reliability][redis][slow]") {
  service_fixture f([](service::service_config& c) { c.filter_capacity = 10000; });
  const auto mod = f.issue_key("moderator");
  const auto partner = f.issue_key("partner");
  history_checker history;
  constexpr int kClients = 64;
  constexpr int kBans = 1000;
  std::atomic<int> next{0};
  std::atomic<int> acknowledged{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&] {
      std::optional<http_client> c;
      for (int i = next++; i < kBans; i = next++) {
        const std::string email = "victim" + std::to_string(i) + "@example.com";
        op_outcome result = op_outcome::unknown;
        try {
          if (!c)
            c.emplace(f.port());
          const auto reply = c->post("/v1/bans", mod, ban_body(email));
          result = outcome_of(reply);
          if (result == op_outcome::ok)
            ++acknowledged;
          if (reply.status != 200 && reply.status != 201 && reply.status != 503)
            ++unexpected;
        } catch (const std::exception&) {
          c.reset();  // a reset connection: the outcome is unknown
        }
        history.record(email_fp(email), op_kind::ban, result);
      }
    });
  }
  // Crash Redis with hundreds of bans acknowledged and dozens in flight.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (acknowledged < 300 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE(acknowledged >= 300);
  f.redis().kill9();
  std::this_thread::sleep_for(300ms);
  f.redis().restart();  // same data: replays the AOF
  for (auto& t : clients)
    t.join();
  CHECK(unexpected == 0);

  const redis_view redis = redis_state(f.redis().endpoint());
  for (const auto& p : redis.problems)
    FAIL_CHECK("Redis is inconsistent: " << p);
  const verdict in_redis = history.judge(redis.banned);
  for (const auto& e : in_redis.examples)
    UNSCOPED_INFO(e);
  CHECK(in_redis.lost == 0);
  CHECK(in_redis.phantom == 0);
  CHECK(in_redis.wrong == 0);
  // The crash did interfere: some writes could not be acknowledged.
  CHECK(in_redis.acknowledged < static_cast<std::size_t>(kBans));
  WARN("acknowledged " << in_redis.acknowledged << ", unknown " << in_redis.unknown << " (landed "
                       << in_redis.unknown_landed << "), in Redis " << redis.banned.size()
                       << ", head " << redis.head);

  wait_caught_up(f, redis.head);
  const check_view checked = checked_state(f.port(), partner, history.attempted());
  CHECK(checked.unconfirmed == 0);
  CHECK(history.judge(checked.banned).clean());
  CHECK(checked.banned == redis.banned);

  const replica_view replica = replica_state(f.port(), partner, redis.head);
  CHECK(history.judge(replica.banned).clean());
  CHECK(replica.banned == redis.banned);
}

TEST_CASE("a torn AOF tail: Redis restarts consistent at 20 random cut points",
          "[reliability][redis]") {
  service_fixture f;
  const auto mod = f.issue_key("moderator");
  {
    auto c = f.client();
    for (int i = 0; i < 300; ++i)
      REQUIRE(
          c.post("/v1/bans", mod, ban_body("torn" + std::to_string(i) + "@example.com")).status ==
          201);
    for (int i = 0; i < 300; i += 3) {
      const auto fp = email_fp("torn" + std::to_string(i) + "@example.com");
      REQUIRE(c.del("/v1/bans/" + fp.to_hex() + "?reason=mistake", mod).status == 200);
    }
  }
  const redis_view full = redis_state(f.redis().endpoint());
  REQUIRE(full.problems.empty());
  REQUIRE(full.head == 400);
  f.stop_server();
  f.redis().stop();

  const fs::path source = f.redis().data_dir();
  const fs::path aof = incr_aof(source);
  const auto size = fs::file_size(aof);
  std::mt19937_64 rng(20261128);
  const fs::path scratch = fs::temp_directory_path() / ("banlist-torn-" + std::to_string(rng()));
  for (int cut = 0; cut < 20; ++cut) {
    const auto offset = rng() % size;
    CAPTURE(cut, offset, size);
    const fs::path copy = scratch / std::to_string(cut);
    fs::create_directories(copy);
    fs::copy(source / "appendonlydir", copy / "appendonlydir", fs::copy_options::recursive);
    fs::resize_file(copy / "appendonlydir" / aof.filename(), offset);

    service::redis_process_options options;
    options.data_dir = copy;
    auto redis = service::redis_process::start(options);
    INFO("restart: " << (redis ? std::string("ok") : redis.error()));
    REQUIRE(redis.has_value());
    const redis_view torn = redis_state(redis->endpoint());
    for (const auto& p : torn.problems)
      FAIL_CHECK("inconsistent after the cut: " << p);
    // A prefix of the same history: its digest is the full log's at that seq.
    CHECK(torn.head <= full.head);
    fingerprint digest;
    for (const auto& fp : torn.banned) {
      digest.high ^= fp.high;
      digest.low ^= fp.low;
    }
    CHECK(digest == (torn.head == 0 ? fingerprint{} : full.digests[torn.head - 1]));
    redis->stop();
  }
  fs::remove_all(scratch);
}

}  // namespace banlist::test
