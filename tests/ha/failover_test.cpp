// Failover on loopback: a primary with replicas and 3 sentinels
// (down-after-milliseconds 2000), two banlistd instances on Sentinel, bans
// flowing from concurrent clients, checks running, a WebSocket subscriber on
// each instance; then kill -9 of the primary. Measured and printed as
// "FIGURE" lines (tools/bench/failover.sh collects them):
// - time from the kill until a ban is accepted again (target <= 10 s);
// - acknowledged bans missing on the new primary (asserted 0 with
//   --replica-acks 1; reported without);
// - checks not answered 200 during the failover (asserted 0);
// - subscribers of both instances end with the same set as Redis.
//
// With --replica-acks 1 the run has two replicas: after the primary dies,
// the new primary needs a replica to acknowledge to (docs/operations.md).
#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "banned_layout.hpp"
#include "ha_cluster.hpp"
#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::unique_ptr<service::server> start_instance(const ha_cluster& cluster, unsigned acks,
                                                const std::string& name) {
  service::service_config c;
  c.listen_host = "127.0.0.1";
  c.listen_port = 0;
  c.threads = 2;
  c.seed = kTestSeed;
  c.filter_capacity = 10000;
  c.admin_key = kAdminKey;
  c.shutdown_timeout = 5s;
  c.heartbeat_interval = 300ms;
  c.instance_name = name;
  c.redis_sentinels = {cluster.sentinel_list()};
  c.redis_master_name = kMasterName;
  c.sentinel_timeout = 500ms;
  c.redis_timeout = 1000ms;
  c.replica_acks = acks;
  c.replica_ack_timeout = 1000ms;
  auto started = service::server::start(c, {});
  if (!started)
    throw std::runtime_error("start " + name + ": " + started.error());
  return std::move(*started);
}

// A subscriber that keeps an exact replica through resets and reconnects.
struct subscriber {
  std::uint16_t port;
  std::string key;
  std::uint64_t epoch;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::uint64_t seq = 0;      // guarded by mutex
  std::set<std::string> fps;  // guarded by mutex
  std::atomic<unsigned> resets{0};
  std::atomic<unsigned> reconnects{0};
  std::thread thread;

  void run() {
    while (!stop) {
      sdk::replica_set replica(epoch);
      {
        std::lock_guard lock(mutex);
        seq = 0;
        fps.clear();
      }
      try {
        ws_client ws(port, "/v1/stream?since=0", key);
        while (!stop) {
          auto text = ws.read(5s);
          if (!text)
            break;
          auto m = decode(*text);
          if (auto* batch = std::get_if<sdk::delta_batch>(&m)) {
            if (batch->epoch != replica.epoch())
              break;  // another epoch: start over
            if (!replica.apply(*batch))
              break;
            std::lock_guard lock(mutex);
            seq = replica.seq();
            fps = replica_fps(replica);
          } else if (std::get_if<sdk::reset_notice>(&m)) {
            ++resets;
            break;
          }
        }
      } catch (const std::exception&) {
        std::this_thread::sleep_for(100ms);
      }
      ++reconnects;
    }
  }
};

std::set<std::string> redis_banned(std::uint16_t port) {
  std::set<std::string> out;
  std::istringstream lines(
      redis_cli(port, "EVAL \"" + std::string(kAllBannedScript) + "\" 0 bl:bans"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() == 32)
      out.insert(line);
  }
  return out;
}

struct figures {
  double recovery_s = -1;
  std::size_t acknowledged = 0;
  std::size_t lost = 0;
  std::size_t unknown = 0;
  std::size_t checks = 0;
  std::size_t check_failures = 0;
  unsigned resets = 0;
};

figures run_failover(unsigned acks, int replicas) {
  ha_cluster_options o;
  o.replicas = replicas;
  o.sentinels = 3;
  o.quorum = 2;
  o.down_after_ms = 2000;
  o.failover_timeout_ms = 4000;
  ha_cluster cluster(o);
  REQUIRE(cluster.wait_replicas_synced(15s));
  REQUIRE(cluster.wait_sentinels_ready(20s));
  const auto old_primary = cluster.port(0);

  auto a = start_instance(cluster, acks, "a");
  auto b = start_instance(cluster, acks, "b");
  REQUIRE(a->wait_ready(20s));
  REQUIRE(b->wait_ready(20s));
  http_client admin(a->port());
  auto issue = [&](const std::string& role) {
    auto r = admin.post("/v1/keys", kAdminKey, R"({"role":")" + role + R"(","name":"t"})");
    REQUIRE(r.status == 201);
    return json_string(r, "/key");
  };
  const std::string mod = issue("moderator");
  const std::string partner = issue("partner");
  const std::uint64_t epoch = a->state().epoch();

  subscriber subs[2];
  const std::uint16_t ports[2] = {a->port(), b->port()};
  for (int i = 0; i < 2; ++i) {
    subs[i].port = ports[i];
    subs[i].key = partner;
    subs[i].epoch = epoch;
    subs[i].thread = std::thread([&s = subs[i]] { s.run(); });
  }

  std::atomic<bool> stop_writers{false};
  std::atomic<bool> killed{false};
  std::mutex mutex;
  std::set<std::string> acked;  // guarded by mutex
  std::atomic<std::size_t> unknown{0};
  std::atomic<std::int64_t> killed_at_ns{0}, recovered_at_ns{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto c = std::make_unique<http_client>(ports[w % 2]);
      for (int n = 0; !stop_writers; ++n) {
        std::string email = "w";  // appended piecewise: g++ 12 -Wrestrict false positive
        email.append(std::to_string(w)).append("-").append(std::to_string(n));
        email.append("@example.com");
        http_reply r;
        try {
          r = c->post("/v1/bans", mod,
                      R"({"type":"email","value":")" + email + R"(","reason":"telecom_fraud"})");
        } catch (const std::exception&) {
          c = std::make_unique<http_client>(ports[w % 2]);  // a fresh connection
        }
        if (r.status == 201 || r.status == 200) {
          const auto now = steady::now().time_since_epoch().count();
          std::int64_t none = 0;
          if (killed && now > killed_at_ns)
            recovered_at_ns.compare_exchange_strong(none, now);
          std::lock_guard lock(mutex);
          acked.insert(json_string(r, "/fp"));
        } else {
          ++unknown;
          std::this_thread::sleep_for(20ms);
        }
      }
    });
  }
  std::atomic<std::size_t> checks{0}, check_failures{0};
  std::thread checker([&] {
    std::unique_ptr<http_client> c[2] = {std::make_unique<http_client>(ports[0]),
                                         std::make_unique<http_client>(ports[1])};
    for (int n = 0; !stop_writers; ++n) {
      // A hit (needs Redis to confirm) and a miss (filter only).
      std::string value = "w0-0@example.com";
      if (n % 2 == 0)
        value.assign("nobody-").append(std::to_string(n)).append("@x.org");
      unsigned status = 0;
      try {
        status = c[n % 2]->get("/v1/check?type=email&value=" + value, partner).status;
      } catch (const std::exception&) {
        c[n % 2] = std::make_unique<http_client>(ports[n % 2]);
      }
      ++checks;
      if (status != 200)
        ++check_failures;
      std::this_thread::sleep_for(5ms);
    }
  });

  const auto acked_count = [&] {
    std::lock_guard lock(mutex);
    return acked.size();
  };
  const auto wait_start = steady::now();
  while (acked_count() < 60 && steady::now() - wait_start < 30s)
    std::this_thread::sleep_for(10ms);
  REQUIRE(acked_count() >= 60);
  killed_at_ns = steady::now().time_since_epoch().count();
  cluster.server(0).kill9();
  killed = true;
  const auto new_primary = cluster.wait_switch(old_primary, 30s);
  REQUIRE(new_primary);
  const auto deadline = steady::now() + 30s;
  while (recovered_at_ns == 0 && steady::now() < deadline)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(1500ms);  // bans keep flowing on the new primary
  stop_writers = true;
  for (auto& t : writers)
    t.join();
  checker.join();

  figures f;
  if (recovered_at_ns != 0)
    f.recovery_s = static_cast<double>(recovered_at_ns - killed_at_ns) / 1e9;
  const auto in_redis = redis_banned(*new_primary);
  for (const auto& fp : acked)
    f.lost += in_redis.count(fp) ? 0 : 1;
  f.acknowledged = acked.size();
  f.unknown = unknown;
  f.checks = checks;
  f.check_failures = check_failures;

  // Subscribers converge on what the new primary holds.
  const auto head_text = redis_cli(*new_primary, "GET bl:seq");
  const std::uint64_t head = std::stoull(head_text);
  for (auto& s : subs) {
    const auto until = steady::now() + 20s;
    while (steady::now() < until) {
      std::lock_guard lock(s.mutex);
      if (s.seq == head)
        break;
      std::this_thread::sleep_for(20ms);
    }
  }
  for (auto& s : subs) {
    s.stop = true;
    s.thread.join();
    std::lock_guard lock(s.mutex);
    CHECK(s.seq == head);
    CHECK(s.fps == in_redis);
    f.resets += s.resets;
  }
  std::cout << "FIGURE replica_acks=" << acks << " replicas=" << replicas
            << " recovery_s=" << f.recovery_s << " acknowledged=" << f.acknowledged
            << " lost_acknowledged=" << f.lost << " unknown_or_refused=" << f.unknown
            << " checks=" << f.checks << " check_failures=" << f.check_failures
            << " subscriber_resets=" << f.resets << " head=" << head << std::endl;
  a->stop();
  b->stop();
  (void)a->wait();
  (void)b->wait();
  return f;
}

}  // namespace

TEST_CASE("kill -9 of the primary with --replica-acks 1: no acknowledged ban is lost",
          "[ha][failover][redis][slow]") {
  const auto f = run_failover(1, 2);
  CHECK(f.lost == 0);
  CHECK(f.recovery_s > 0);
  CHECK(f.recovery_s <= 10.0);
  CHECK(f.check_failures == 0);
}

TEST_CASE("kill -9 of the primary without replica acks: losses reported, subscribers converge",
          "[ha][failover][redis][slow]") {
  const auto f = run_failover(0, 1);
  CHECK(f.recovery_s > 0);
  CHECK(f.recovery_s <= 10.0);
  CHECK(f.check_failures == 0);
  // Not asserted: acknowledged bans lost (whatever the asynchronous
  // replication had not shipped when the primary died).
}
