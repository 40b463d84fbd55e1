// Sentinel discovery and following a failover: the resolver against real
// sentinels (found, unknown master, all down, a silent one), the connection's
// ROLE check and READONLY handling, and a store following a manual failover.
//
// Note (g++ 12): no co_await inside Catch2 macros; see store.hpp.
#include <signal.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "config.hpp"
#include "ha_cluster.hpp"
#include "record_layout.hpp"
#include "run_async.hpp"
#include "store/redis_connection.hpp"
#include "store/redis_store.hpp"
#include "store/resp.hpp"
#include "store/sentinel_resolver.hpp"

namespace asio = boost::asio;
using namespace banlist;
using namespace banlist::service;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

sentinel_options options_for(std::vector<std::uint16_t> ports, std::string name,
                             std::chrono::milliseconds timeout = 500ms) {
  sentinel_options o;
  for (auto p : ports)
    o.sentinels.push_back(sentinel_address{"127.0.0.1", p});
  o.master_name = std::move(name);
  o.timeout = timeout;
  return o;
}

store_result<redis_endpoint> resolve_with(sentinel_options o) {
  return run_async([&](auto ex) -> asio::awaitable<store_result<redis_endpoint>> {
    auto r = sentinel_resolver::create(ex, o, redis_endpoint{});
    co_return co_await r->resolve();
  });
}

std::optional<std::string> env_none(const char*) {
  return std::nullopt;
}

ban_record record_for(const std::string& email, std::uint64_t i) {
  ban_record r;
  r.fp = fingerprint{0x9e3779b97f4a7c15ULL * (i + 1), 0xbf58476d1ce4e5b9ULL ^ i};
  r.type = sdk::identifier_type::email;
  r.value = email;
  r.masked = "x***@example.com";
  r.reason = "fraud";
  return r;
}

}  // namespace

TEST_CASE("sentinel lists parse host:port entries and reject the rest", "[ha][sentinel]") {
  auto ok = parse_sentinel_list("127.0.0.1:26379,[::1]:26380,sentinel-3:5000");
  REQUIRE(ok);
  REQUIRE(ok->size() == 3);
  CHECK((*ok)[1].host == "::1");
  CHECK((*ok)[1].port == 26380);
  CHECK((*ok)[2].host == "sentinel-3");
  CHECK_FALSE(parse_sentinel_list(""));
  CHECK_FALSE(parse_sentinel_list("127.0.0.1"));
  CHECK_FALSE(parse_sentinel_list("127.0.0.1:0"));
  CHECK_FALSE(parse_sentinel_list("127.0.0.1:99999"));
  CHECK_FALSE(parse_sentinel_list(":26379"));
  CHECK_FALSE(parse_sentinel_list("a:1,,b:2"));
}

TEST_CASE("HA flags: sentinel with master name, env twins, and their errors", "[ha][config]") {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto ok = parse_config(
      {"banlistd", "--redis-sentinel", "10.0.0.1:26379,10.0.0.2:26379", "--redis-master-name",
       "bans", "--replica-acks", "1", "--replica-ack-timeout-ms", "250"},
      none);
  REQUIRE(ok);
  CHECK(ok->config.redis_sentinels.size() == 2);
  CHECK(ok->config.redis_master_name == "bans");
  CHECK(ok->config.replica_acks == 1);
  CHECK(ok->config.replica_ack_timeout == 250ms);

  auto from_env = parse_config({"banlistd"}, [](const char* name) -> const char* {
    const std::string n = name;
    if (n == "BANLIST_REDIS_SENTINEL")
      return "127.0.0.1:1";
    if (n == "BANLIST_REDIS_MASTER_NAME")
      return "m";
    if (n == "BANLIST_REPLICA_ACKS")
      return "2";
    return nullptr;
  });
  REQUIRE(from_env);
  CHECK(from_env->config.redis_sentinels == std::vector<std::string>{"127.0.0.1:1"});
  CHECK(from_env->config.replica_acks == 2);

  auto no_name = parse_config({"banlistd", "--redis-sentinel", "127.0.0.1:1"}, none);
  REQUIRE_FALSE(no_name);
  CHECK(no_name.error().find("go together") != std::string::npos);
  CHECK_FALSE(parse_config({"banlistd", "--redis-master-name", "m"}, none));
  auto both = parse_config({"banlistd", "--redis-sentinel", "127.0.0.1:1", "--redis-master-name",
                            "m", "--redis", "redis://127.0.0.1:6379"},
                           none);
  REQUIRE_FALSE(both);
  CHECK(both.error().find("either --redis or --redis-sentinel") != std::string::npos);
  CHECK_FALSE(parse_config(
      {"banlistd", "--redis-sentinel", "127.0.0.1", "--redis-master-name", "m"}, none));
  CHECK_FALSE(parse_config({"banlistd", "--replica-ack-timeout-ms", "0"}, none));
  CHECK_FALSE(parse_config({"banlistd", "--replica-acks", "101"}, none));
  (void)env_none;
}

TEST_CASE("the resolver finds the primary, names unknown masters and survives dead sentinels",
          "[ha][sentinel][redis]") {
  ha_cluster_options o;
  o.replicas = 0;
  o.sentinels = 1;
  o.quorum = 1;
  ha_cluster cluster(o);
  const auto sentinel = cluster.sentinel_ports().at(0);

  SECTION("found") {
    auto found = resolve_with(options_for({sentinel}, kMasterName));
    REQUIRE(found);
    CHECK(found->host == "127.0.0.1");
    CHECK(found->port == cluster.port(0));
  }
  SECTION("a sentinel that does not know the master name") {
    auto found = resolve_with(options_for({sentinel}, "no-such-master"));
    REQUIRE_FALSE(found);
    CHECK(found.error().code == store_errc::unavailable);
    CHECK(found.error().message.find("does not know master 'no-such-master'") != std::string::npos);
  }
  SECTION("every sentinel down: unavailable, naming each one") {
    cluster.sentinel(0).stop();
    auto found = resolve_with(options_for({sentinel, 1}, kMasterName));
    REQUIRE_FALSE(found);
    CHECK(found.error().code == store_errc::unavailable);
    CHECK(found.error().message.find("127.0.0.1:" + std::to_string(sentinel)) != std::string::npos);
    CHECK(found.error().message.find("127.0.0.1:1:") != std::string::npos);
  }
  SECTION("a dead sentinel first: the next one answers") {
    auto found = resolve_with(options_for({1, sentinel}, kMasterName));
    REQUIRE(found);
    CHECK(found->port == cluster.port(0));
  }
  SECTION("a hung sentinel costs at most its deadline") {
    ::kill(cluster.sentinel(0).pid(), SIGSTOP);
    const auto start = std::chrono::steady_clock::now();
    auto found = resolve_with(options_for({sentinel}, kMasterName, 300ms));
    const auto took = std::chrono::steady_clock::now() - start;
    ::kill(cluster.sentinel(0).pid(), SIGCONT);
    REQUIRE_FALSE(found);
    CHECK(found.error().code == store_errc::unavailable);
    CHECK(took < 2s);
  }
}

TEST_CASE("READONLY drops the link and the ROLE check keeps it off a replica",
          "[ha][sentinel][redis]") {
  ha_cluster_options o;
  o.replicas = 1;
  o.sentinels = 0;
  ha_cluster cluster(o);
  REQUIRE(cluster.wait_replicas_synced(10s));
  const auto primary = cluster.port(0);
  const auto replica = cluster.port(1);
  // Detach the replica: two independent primaries, so one can be demoted.
  REQUIRE(redis_cli(replica, "REPLICAOF NO ONE") == "OK");

  auto outcome = run_async([&](auto ex) -> asio::awaitable<std::string> {
    redis_connection::config cfg;
    cfg.handshake_timeout = 500ms;
    cfg.reconnect_min = 20ms;
    cfg.reconnect_max = 100ms;
    cfg.require_primary = true;
    cfg.discover = [primary]() -> asio::awaitable<store_result<redis_endpoint>> {
      redis_endpoint ep;
      ep.host = "127.0.0.1";
      ep.port = primary;
      co_return ep;
    };
    auto c = redis_connection::create(ex, cfg);
    std::string log;
    auto up = co_await c->wait_connected(5s);
    log += up ? "up;" : "down:" + up.error().message + ";";
    std::vector<std::string> set1{"SET", "k", "1"};
    auto first = co_await c->execute(set1, 2s);
    log += first && first->status() ? "set;" : "no-set;";
    // The primary becomes a replica (as after a failover).
    redis_cli(primary, "REPLICAOF 127.0.0.1 " + std::to_string(replica));
    std::vector<std::string> set2{"SET", "k", "2"};
    auto second = co_await c->execute(set2, 2s);
    if (second && second->error()) {
      auto mapped = reject_error_reply(*second);
      log += !mapped && mapped.error().code == store_errc::unavailable ? "readonly-unavailable;"
                                                                       : "readonly-other;";
    } else {
      log += "no-readonly;";
    }
    // The link dropped and the handshake now refuses the replica.
    asio::steady_timer pause(ex, 300ms);
    co_await pause.async_wait(asio::use_awaitable);
    auto again = co_await c->wait_connected(300ms);
    log += again ? "reconnected-to-replica;"
                 : (again.error().message.find("is not the primary") != std::string::npos
                        ? "refused-replica;"
                        : "other:" + again.error().message + ";");
    redis_cli(primary, "REPLICAOF NO ONE");
    auto back = co_await c->wait_connected(5s);
    log += back ? "back;" : "not-back;";
    c->close();
    co_return log;
  });
  CHECK(outcome == "up;set;readonly-unavailable;refused-replica;back;");
}

TEST_CASE("a store on Sentinel follows a failover and keeps every replicated ban",
          "[ha][sentinel][redis]") {
  ha_cluster_options o;
  o.replicas = 1;
  o.sentinels = 1;
  o.quorum = 1;
  ha_cluster cluster(o);
  REQUIRE(cluster.wait_replicas_synced(10s));
  REQUIRE(cluster.wait_sentinels_ready(15s));
  const auto old_primary = cluster.port(0);

  store_options so;
  so.sentinel = options_for(cluster.sentinel_ports(), kMasterName);
  so.replica_acks = 1;
  so.replica_ack_timeout = 1000ms;
  so.command_timeout = 1000ms;
  so.reconnect_max = 200ms;
  const auto sentinel = cluster.sentinel_ports().at(0);

  auto result = run_async(
      [&](auto ex) -> asio::awaitable<std::string> {
        redis_endpoint placeholder;  // named: see the g++ 12 note in store.hpp
        auto opened = co_await open_redis_store(ex, placeholder, so);
        if (!opened)
          co_return "open failed: " + opened.error().message;
        auto s = *opened;
        actor who{"k", "127.0.0.1", "r"};
        auto before = co_await s->ban(record_for("a@example.com", 1), who);
        if (!before)
          co_return "first ban failed: " + before.error().message;
        // A second resolver only watches +switch-master.
        auto watcher = sentinel_resolver::create(ex, so.sentinel, placeholder);
        auto seen_port = std::make_shared<std::uint16_t>(0);
        watcher->watch([seen_port](const std::string&, std::uint16_t port) { *seen_port = port; });
        for (int i = 0; i < 200 && !watcher->watching(); ++i) {
          asio::steady_timer pause(ex, 10ms);
          co_await pause.async_wait(asio::use_awaitable);
        }
        redis_cli(sentinel, "SENTINEL FAILOVER " + kMasterName);
        // Bans are refused (unavailable/outcome unknown) until the store
        // found the new primary and (--replica-acks 1) the demoted primary
        // replicates from it, which Sentinel arranges within ~10 s.
        std::string last = "no attempt";
        const auto until = std::chrono::steady_clock::now() + 45s;
        while (std::chrono::steady_clock::now() < until) {
          auto after = co_await s->ban(record_for("b@example.com", 2), who);
          auto* rs = dynamic_cast<redis_store*>(s.get());
          if (after && rs && rs->connection()->connect_count() > 1) {
            for (int i = 0; i < 200 && *seen_port == 0; ++i) {
              asio::steady_timer pause(ex, 10ms);
              co_await pause.async_wait(asio::use_awaitable);
            }
            watcher->close();
            co_return "ok;switch=" + std::to_string(*seen_port);
          }
          last = after ? std::string("accepted before reconnecting") : after.error().message;
          asio::steady_timer pause(ex, 50ms);
          co_await pause.async_wait(asio::use_awaitable);
        }
        co_return "never accepted on the new primary; last: " + last;
      },
      90s);
  const auto new_primary = cluster.wait_switch(old_primary, 5s);
  REQUIRE(new_primary);
  // The store moved, and the watch saw +switch-master naming the new primary.
  REQUIRE(result == "ok;switch=" + std::to_string(*new_primary));
  const auto fp_a = record_for("", 1).fp.to_hex();
  const auto fp_b = record_for("", 2).fp.to_hex();
  CHECK(redis_cli(*new_primary, record_value_cli(fp_a, "status")) == "banned");
  CHECK(redis_cli(*new_primary, record_value_cli(fp_b, "status")) == "banned");
  CHECK(redis_cli(*new_primary, "ROLE").starts_with("master"));
}

TEST_CASE("read-from-replicas confirms hits on a replica and re-asks 'not banned' on the primary",
          "[ha][sentinel][redis]") {
  ha_cluster_options o;
  o.replicas = 1;
  o.sentinels = 1;
  o.quorum = 1;
  ha_cluster cluster(o);
  REQUIRE(cluster.wait_replicas_synced(10s));
  REQUIRE(cluster.wait_sentinels_ready(15s));
  const auto primary = cluster.port(0);
  const auto replica = cluster.port(1);
  // A check reads records with HGET (so do the scripts on the primary,
  // hence the counts around the last check).
  auto hget_calls = [](std::uint16_t port) {
    const auto stats = redis_cli(port, "INFO commandstats");
    const auto at = stats.find("cmdstat_hget:calls=");
    return at == std::string::npos ? 0 : std::stoi(stats.substr(at + 19));
  };
  int replica_before = 0;
  int primary_before = 0;

  store_options so;
  so.sentinel = options_for(cluster.sentinel_ports(), kMasterName);
  so.replica_acks = 1;  // so the ban is on the replica when we check
  so.read_from_replicas = true;
  auto answers = run_async([&](auto ex) -> asio::awaitable<std::vector<check_answer>> {
    redis_endpoint placeholder;
    auto opened = co_await open_redis_store(ex, placeholder, so);
    if (!opened)
      co_return std::vector<check_answer>{};
    auto s = *opened;
    auto* rs = dynamic_cast<redis_store*>(s.get());
    actor who{"k", "127.0.0.1", "r"};
    auto banned = co_await s->ban(record_for("r@example.com", 5), who);
    if (!banned || !rs)
      co_return std::vector<check_answer>{};
    // Let the replica connection come up (it connects in the background).
    for (int i = 0; i < 200 && hget_calls(replica) == 0; ++i) {
      std::vector<fingerprint> probe{record_for("", 5).fp};
      (void)co_await s->check(probe);
      asio::steady_timer pause(ex, 20ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    std::vector<fingerprint> fps{record_for("", 5).fp, record_for("", 6).fp};
    replica_before = hget_calls(replica);
    primary_before = hget_calls(primary);
    auto checked = co_await s->check(fps);
    co_return checked ? *checked : std::vector<check_answer>{};
  });
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].banned);
  CHECK(answers[0].reason == "fraud");
  CHECK_FALSE(answers[1].banned);
  CHECK(hget_calls(replica) == replica_before + 2);  // both asked on the replica
  CHECK(hget_calls(primary) == primary_before + 1);  // "not banned" asked again on the primary
}

TEST_CASE("read-from-replicas needs Sentinel", "[ha][config]") {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto alone = parse_config({"banlistd", "--read-from-replicas"}, none);
  REQUIRE_FALSE(alone);
  CHECK(alone.error().find("needs --redis-sentinel") != std::string::npos);
  auto ok = parse_config({"banlistd", "--read-from-replicas", "--redis-sentinel", "127.0.0.1:1",
                          "--redis-master-name", "m"},
                         none);
  REQUIRE(ok);
  CHECK(ok->config.read_from_replicas);
}

TEST_CASE("refusals that guarantee nothing ran map to unavailable", "[ha][errors]") {
  for (const char* reply :
       {"READONLY You can't write against a read only replica. script: f76996, on @user_script:1.",
        "UNBLOCKED force unblock from blocking operation, instance state changed",
        "NOREPLICAS Not enough good replicas to write.",
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        "LOADING Redis is loading the dataset in memory"}) {
    redis_value value;
    value.data = redis_error_reply{reply};
    auto mapped = reject_error_reply(value);
    REQUIRE_FALSE(mapped);
    CHECK(mapped.error().code == store_errc::unavailable);
  }
  redis_value other;
  other.data = redis_error_reply{"ERR unknown command"};
  auto mapped = reject_error_reply(other);
  REQUIRE_FALSE(mapped);
  CHECK(mapped.error().code == store_errc::redis_error);
}
