// --replica-acks: a ban or lift is acknowledged only once WAIT saw enough
// replicas take it. Fewer within the timeout is "outcome unknown" (503): the
// write is on the primary, and a retry is safe and adds no second delta.
//
// Note (g++ 12): no co_await inside Catch2 macros; see store.hpp.
#include <chrono>

#include <catch2/catch.hpp>

#include "ha_cluster.hpp"
#include "record_layout.hpp"
#include "run_async.hpp"
#include "service_fixture.hpp"
#include "store/store.hpp"

namespace asio = boost::asio;
using namespace banlist;
using namespace banlist::service;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

ban_record record_for(std::uint64_t i) {
  ban_record r;
  r.fp = fingerprint{0x2545f4914f6cdd1dULL * (i + 7), 0x9e3779b97f4a7c15ULL ^ (i << 3)};
  r.type = sdk::identifier_type::email;
  r.value = "u" + std::to_string(i) + "@example.com";
  r.masked = "u***@example.com";
  r.reason = "fraud";
  return r;
}

redis_endpoint tcp(std::uint16_t port) {
  redis_endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  return ep;
}

// Bans record i through a store with `acks`; returns "ok:<seq>:<created>"
// or "<errc>:<message>".
std::string ban_through(std::uint16_t port, unsigned acks, std::uint64_t i,
                        std::chrono::milliseconds ack_timeout = 200ms) {
  store_options so;
  so.replica_acks = acks;
  so.replica_ack_timeout = ack_timeout;
  return run_async([&](auto ex) -> asio::awaitable<std::string> {
    auto opened = co_await open_redis_store(ex, tcp(port), so);
    if (!opened)
      co_return "open:" + opened.error().message;
    actor who{"k", "127.0.0.1", "r"};
    auto outcome = co_await (*opened)->ban(record_for(i), who);
    if (!outcome) {
      co_return std::string(outcome.error().code == store_errc::outcome_unknown ? "unknown"
                                                                                : "other") +
          ":" + outcome.error().message;
    }
    co_return "ok:" + std::to_string(outcome->record.seq) + ":" +
        (outcome->created ? "created" : "existing");
  });
}

std::string lift_through(std::uint16_t port, unsigned acks, std::uint64_t i) {
  store_options so;
  so.replica_acks = acks;
  so.replica_ack_timeout = 200ms;
  return run_async([&](auto ex) -> asio::awaitable<std::string> {
    auto opened = co_await open_redis_store(ex, tcp(port), so);
    if (!opened)
      co_return "open:" + opened.error().message;
    actor who{"k", "127.0.0.1", "r"};
    auto outcome = co_await (*opened)->lift(record_for(i).fp, "appeal_granted", who);
    if (!outcome) {
      const auto code = outcome.error().code;
      co_return std::string(code == store_errc::outcome_unknown ? "unknown"
                            : code == store_errc::not_found     ? "not_found"
                                                                : "other") +
          ":" + outcome.error().message;
    }
    co_return "ok:" + std::to_string(outcome->seq);
  });
}

}  // namespace

TEST_CASE("WAIT short of replicas is outcome unknown, the retry with a replica succeeds once",
          "[ha][wait][redis]") {
  ha_cluster_options o;
  o.replicas = 1;
  o.sentinels = 0;
  ha_cluster cluster(o);
  REQUIRE(cluster.wait_replicas_synced(10s));
  const auto primary = cluster.port(0);
  const auto replica = cluster.port(1);

  // With the replica attached, WAIT 1 is met: acknowledged.
  CHECK(ban_through(primary, 1, 1) == "ok:1:created");
  CHECK(redis_cli(replica, record_value_cli(record_for(1).fp.to_hex(), "status")) == "banned");

  // Asking for more replicas than exist: applied on the primary, not acked.
  const auto started = std::chrono::steady_clock::now();
  const auto short_of = ban_through(primary, 2, 2, 300ms);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(short_of.starts_with("unknown:applied on the primary but acknowledged by 1 of 2"));
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  CHECK(redis_cli(primary, "GET bl:seq") == "2");

  // The replica stops taking writes: a lift cannot be acknowledged either.
  ::kill(cluster.server(1).pid(), SIGSTOP);
  CHECK(lift_through(primary, 1, 1)
            .starts_with("unknown:applied on the primary but "
                         "acknowledged by 0 of 1"));
  // A lift of something not banned is a 404 whatever the replicas do.
  CHECK(lift_through(primary, 1, 99).starts_with("not_found:"));
  ::kill(cluster.server(1).pid(), SIGCONT);
  REQUIRE(cluster.wait_replicas_synced(10s));

  // Retrying the unacknowledged ban: idempotent (no new seq), now acked.
  CHECK(ban_through(primary, 1, 2) == "ok:2:existing");
  CHECK(redis_cli(primary, "GET bl:seq") == "3");  // ban 1, ban 2, lift 1
  CHECK(redis_cli(replica, "GET bl:seq") == "3");
}

TEST_CASE("POST /v1/bans answers 503 outcome_unknown when the replicas do not ack",
          "[ha][wait][redis]") {
  service_fixture f([](service::service_config& c) {
    c.replica_acks = 1;  // the fixture's Redis has no replica
    c.replica_ack_timeout = 100ms;
  });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  auto r = c.post("/v1/bans", mod,
                  R"({"type":"email","value":"wait@example.com","reason":"telecom_fraud"})");
  CHECK(r.status == 503);
  CHECK(json_string(r, "/error/code") == "outcome_unknown");
  // It is on the primary all the same: a retry finds it (and is still 503).
  auto again = c.post("/v1/bans", mod,
                      R"({"type":"email","value":"wait@example.com","reason":"telecom_fraud"})");
  CHECK(again.status == 503);
  CHECK(redis_cli_unix(f.redis().unix_path(), "GET bl:seq") == "1");
}
