// Redis frozen (SIGSTOP for 15 s) while bans are made and while a second
// instance's follower waits in XREAD: every ban is answered 503 within its
// deadline (nothing hangs), both instances report themselves not ready with
// the reason and keep answering checks from memory marked "degraded"; after
// SIGCONT everything converges and the history checker finds nothing lost.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <thread>

#include "banlist/sdk/identifier.hpp"
#include "banlistd_process.hpp"
#include "final_state.hpp"
#include "history_checker.hpp"
#include "service_fixture.hpp"
#include "workload.hpp"

namespace banlist::test {
namespace {
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Waits until GET /readyz on `port` has status `want`; returns false after `limit`.
bool readyz_becomes(std::uint16_t port, unsigned want, std::chrono::seconds limit) {
  const auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    try {
      http_client c(port);
      if (c.get("/readyz").status == want)
        return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}
}  // namespace

TEST_CASE("Redis frozen for 15 s: bans fail within their deadline, checks go on, all converges",
          "[reliability][redis][slow]") {
  service_fixture f([](service::service_config& c) { c.redis_timeout = 1000ms; });
  banlistd_process follower(f.redis().url(), {"--redis-timeout-ms", "1000"});
  const auto mod = f.issue_key("moderator");
  const auto partner = f.issue_key("partner");
  history_checker history;
  auto c = f.client();
  for (int i = 0; i < 50; ++i) {
    const std::string email = "before" + std::to_string(i) + "@example.com";
    REQUIRE(c.post("/v1/bans", mod, ban_body(email)).status == 201);
    history.record(email_fp(email), op_kind::ban, op_outcome::ok);
  }
  // Warm the partner key on the follower too (checks must go on from memory).
  http_client on_follower(follower.port());
  REQUIRE(
      on_follower.get("/v1/check?fp=" + email_fp("before0@example.com").to_hex(), partner).status ==
      200);

  ::kill(f.redis().pid(), SIGSTOP);
  const auto frozen_at = clock_type::now();
  std::chrono::milliseconds slowest{0};
  int answered_503 = 0;
  for (int i = 0; clock_type::now() - frozen_at < 12s; ++i) {
    const std::string email = "frozen" + std::to_string(i) + "@example.com";
    const auto start = clock_type::now();
    const auto reply = c.post("/v1/bans", mod, ban_body(email));
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
    slowest = std::max(slowest, took);
    CHECK(reply.status == 503);
    answered_503 += reply.status == 503;
    history.record(
        email_fp(email), op_kind::ban,
        reply.error_code() == "outcome_unknown" ? op_outcome::unknown : op_outcome::failed);
    if (i == 3) {
      // Both instances say why they are not ready; checks answer from memory.
      CHECK(readyz_becomes(f.port(), 503, 5s));
      CHECK(readyz_becomes(follower.port(), 503, 5s));
      auto hit =
          on_follower.get("/v1/check?fp=" + email_fp("before1@example.com").to_hex(), partner);
      CHECK(hit.status == 200);
      CHECK(json_bool(hit, "/banned"));
      CHECK(json_bool(hit, "/degraded"));
      auto readyz = c.get("/readyz");
      CHECK(readyz.body.find("Redis") != std::string::npos);
    }
  }
  // Deadline 1 s for the command, plus the reconnect attempt's: never minutes.
  CHECK(slowest < 3s);
  CHECK(answered_503 > 3);
  std::this_thread::sleep_for(15s - (clock_type::now() - frozen_at));
  ::kill(f.redis().pid(), SIGCONT);

  CHECK(readyz_becomes(f.port(), 200, 20s));
  CHECK(readyz_becomes(follower.port(), 200, 20s));
  for (int i = 0; i < 50; ++i) {
    const std::string email = "after" + std::to_string(i) + "@example.com";
    REQUIRE(c.post("/v1/bans", mod, ban_body(email)).status == 201);
    history.record(email_fp(email), op_kind::ban, op_outcome::ok);
  }
  const redis_view redis = redis_state(f.redis().endpoint());
  for (const auto& p : redis.problems)
    FAIL_CHECK("Redis is inconsistent: " << p);
  CHECK(history.judge(redis.banned).clean());
  // The follower converges on the same set.
  const auto deadline = clock_type::now() + 20s;
  check_view seen;
  while (clock_type::now() < deadline) {
    seen = checked_state(follower.port(), partner, history.attempted());
    if (seen.banned == redis.banned)
      break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(seen.banned == redis.banned);
  WARN("slowest ban answer while frozen: " << slowest.count() << " ms, " << answered_503
                                           << " bans answered 503");
}

}  // namespace banlist::test
