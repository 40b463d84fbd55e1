// Faults of a banlistd instance (the real binary, as a child process):
//   - kill -9 during 10,000 bans and restart: /readyz turns 200 only once the
//     filter covers the newest seq, and from that moment no acknowledged ban
//     is answered "not banned"; the history checker finds nothing lost;
//   - a follower stopped (SIGSTOP) while the change log is trimmed past its
//     seq: after SIGCONT it detects the gap, resyncs, resets its subscribers
//     instead of skipping changes, and answers every ban.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <thread>

#include <boost/asio/use_awaitable.hpp>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/subscription.hpp"
#include "banlistd_process.hpp"
#include "final_state.hpp"
#include "history_checker.hpp"
#include "redis_server.hpp"
#include "run_async.hpp"
#include "service_fixture.hpp"
#include "workload.hpp"
#include "ws_test_client.hpp"

namespace banlist::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t ready_seq(const std::string& readyz_body) {
  const auto at = readyz_body.find("\"seq\":");
  return std::stoull(readyz_body.substr(at + 6));
}

}  // namespace

TEST_CASE("banlistd killed during 10,000 bans: ready only when caught up, no false negatives",
          "[reliability][redis][slow]") {
  redis_server redis;
  banlistd_process instance(redis.url());
  const auto mod = issue_key(instance.port(), "moderator");
  const auto partner = issue_key(instance.port(), "partner");
  history_checker history;
  constexpr int kClients = 32;
  constexpr int kBans = 10000;
  std::atomic<int> next{0};
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&] {
      std::optional<http_client> c;
      for (int i = next++; i < kBans; i = next++) {
        const std::string email = "killed" + std::to_string(i) + "@example.com";
        op_outcome result = op_outcome::unknown;
        try {
          if (!c)
            c.emplace(instance.port());
          const auto reply = c->post("/v1/bans", mod, ban_body(email));
          result = reply.status == 200 || reply.status == 201 ? op_outcome::ok
                   : reply.status == 503 && reply.error_code() == "outcome_unknown"
                       ? op_outcome::unknown
                       : op_outcome::failed;
          acknowledged += result == op_outcome::ok;
        } catch (const std::exception&) {
          c.reset();  // killed under us: unknown; wait for the restart
          std::this_thread::sleep_for(100ms);
        }
        history.record(email_fp(email), op_kind::ban, result);
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (acknowledged < 3000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE(acknowledged >= 3000);
  instance.kill9();
  const redis_view at_kill = redis_state(redis.endpoint());
  REQUIRE(at_kill.problems.empty());
  const std::set<fingerprint> must = history.must_be_banned();
  instance.restart();
  const std::string ready = instance.wait_ready();
  // Ready means the filter covers everything Redis held when it started.
  CHECK(ready_seq(ready) >= at_kill.head);
  const check_view right_after =
      checked_state(instance.port(), partner, std::vector<fingerprint>(must.begin(), must.end()));
  CHECK(right_after.banned.size() == must.size());  // no false negative at the first ready answer

  for (auto& t : clients)
    t.join();
  const redis_view redis_final = redis_state(redis.endpoint());
  for (const auto& p : redis_final.problems)
    FAIL_CHECK("Redis is inconsistent: " << p);
  const verdict v = history.judge(redis_final.banned);
  for (const auto& e : v.examples)
    UNSCOPED_INFO(e);
  CHECK(v.clean());
  WARN("acknowledged " << v.acknowledged << ", unknown " << v.unknown << " (landed "
                       << v.unknown_landed << "), head " << redis_final.head);
  instance.wait_ready();
  const check_view checked = checked_state(instance.port(), partner, history.attempted());
  CHECK(checked.banned == redis_final.banned);
}

TEST_CASE("a follower stopped while the log is trimmed past it resyncs after SIGCONT",
          "[reliability][redis]") {
  redis_server redis;
  banlistd_process writer(redis.url());
  banlistd_process follower(redis.url());
  const auto mod = issue_key(writer.port(), "moderator");
  const auto partner = issue_key(writer.port(), "partner");
  std::vector<std::string> emails;
  auto ban_some = [&](int from, int to) {
    http_client c(writer.port());
    for (int i = from; i < to; ++i) {
      emails.push_back("gap" + std::to_string(i) + "@example.com");
      REQUIRE(c.post("/v1/bans", mod, ban_body(emails.back())).status == 201);
    }
  };
  ban_some(0, 100);
  const auto seq_before = ready_seq(follower.wait_ready());
  ws_client subscriber(follower.port(), "/v1/stream?since=" + std::to_string(seq_before), partner);

  follower.signal(SIGSTOP);
  ban_some(100, 600);
  // Trim everything but the newest ~50 changes (to 544, a seq whose entry
  // keeps its digest, as retention does): the follower's seq is gone.
  auto trimmed = run_async([&](auto executor) -> boost::asio::awaitable<std::uint64_t> {
    service::store_options options;
    auto opened = co_await service::open_redis_store(executor, redis.endpoint(), options);
    REQUIRE(opened.has_value());
    std::shared_ptr<service::store> s = *opened;
    auto oldest = co_await s->trim_log(544);
    REQUIRE(oldest.has_value());
    co_return *oldest;
  });
  REQUIRE(trimmed == 544);
  follower.signal(SIGCONT);

  // The subscriber gets contiguous changes (a blocked XREAD may have been
  // answered before the trim), then a reset (resync_required), never a
  // change past the gap.
  bool reset = false;
  std::uint64_t delivered = seq_before;
  for (int i = 0; i < 1000 && !reset; ++i) {
    auto message = subscriber.read(20s);
    if (!message)
      break;
    auto decoded = sdk::decode_server_message(*message);
    REQUIRE(decoded.has_value());
    if (const auto* batch = std::get_if<sdk::delta_batch>(&*decoded)) {
      REQUIRE(batch->from == delivered);
      delivered = batch->to;
    } else if (const auto* notice = std::get_if<sdk::reset_notice>(&*decoded)) {
      reset = notice->reason == sdk::reset_reason::resync_required;
    }
  }
  // Under ASan at -O0 (session 7) no reset came once; the follower's log
  // says what it saw.
  INFO("delivered up to seq " << delivered << "; follower log:\n" << follower.log());
  CHECK(reset);
  CHECK(delivered < 544);  // the trimmed part was never delivered as changes

  // The follower catches up and answers every ban.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ready_seq(follower.wait_ready()) < emails.size() + 2 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  std::vector<fingerprint> fps;
  for (const auto& e : emails)
    fps.push_back(email_fp(e));
  const check_view checked = checked_state(follower.port(), partner, fps);
  CHECK(checked.banned.size() == fps.size());
  CHECK(follower.log().find("gap") != std::string::npos);
}

}  // namespace banlist::test
