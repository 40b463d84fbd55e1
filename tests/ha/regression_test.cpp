// Regressed history: Redis restarted empty, or from an older AOF, under a
// running banlistd. The instance must notice that the primary's change log
// went back below what it applied, alert (log, metric, /readyz reason),
// resync its filter from what Redis now holds, and reset its subscribers
// (resync_required) instead of rewinding them silently. A plain restart on
// the same data must not be mistaken for one.
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "ha_cluster.hpp"
#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Reads until a reset notice arrives; returns its reason.
std::optional<sdk::reset_reason> read_until_reset(ws_client& sub) {
  for (int i = 0; i < 200; ++i) {
    auto text = sub.read(15s);
    if (!text)
      return std::nullopt;
    auto m = decode(*text);
    if (auto* reset = std::get_if<sdk::reset_notice>(&m))
      return reset->reason;
  }
  return std::nullopt;
}

void restore_aof(const fs::path& data, const fs::path& backup) {
  fs::remove_all(data / "appendonlydir");
  if (!backup.empty())
    fs::copy(backup, data / "appendonlydir", fs::copy_options::recursive);
}

}  // namespace

TEST_CASE("Redis restarted empty under a running banlistd: alert, resync, subscribers reset",
          "[ha][regression][redis]") {
  service_fixture f([](service::service_config& c) { c.heartbeat_interval = 200ms; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const auto epoch = f.server().state().epoch();
  ws_client sub(f.port(), "/v1/stream?since=0", partner);
  for (int i = 0; i < 3; ++i)
    ban_email(c, mod, "lost" + std::to_string(i) + "@example.com");
  REQUIRE(eventually([&] { return f.server().state().filter().seq() == 3; }, 10s));
  CHECK(f.server().state().filter().regressions() == 0);

  f.redis().kill9();
  restore_aof(f.redis().data_dir(), {});
  f.redis().restart();

  REQUIRE(eventually([&] { return f.server().state().filter().regressions() == 1; }, 15s));
  CHECK(read_until_reset(sub) == sdk::reset_reason::resync_required);
  // Resynced to what Redis holds now: an empty list of a new epoch.
  REQUIRE(eventually(
      [&] {
        return !f.server().state().filter().resyncing() && f.server().state().filter().loaded();
      },
      10s));
  CHECK(f.server().state().filter().seq() == 0);
  CHECK(f.server().state().epoch() != epoch);
  auto ready = c.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(json_string(ready, "/last_regression").find("below the applied seq 3") !=
        std::string::npos);
  auto metrics = c.get("/metrics");
  CHECK(metrics.body.find("banlist_history_regressions 1\n") != std::string::npos);
  CHECK(metrics.body.find("history_regression") != std::string::npos);
}

TEST_CASE("Redis restarted from an older AOF: the lost seqs are detected, a plain restart is not",
          "[ha][regression][redis]") {
  service_fixture f([](service::service_config& c) { c.heartbeat_interval = 200ms; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const auto epoch = f.server().state().epoch();
  ban_email(c, mod, "kept0@example.com");
  ban_email(c, mod, "kept1@example.com");
  REQUIRE(eventually([&] { return f.server().state().filter().seq() == 2; }, 10s));

  // A backup at seq 2, taken from a cleanly stopped server; the restart on
  // the same data is no regression.
  const fs::path backup = f.redis().data_dir() / "backup-aof";
  f.redis().stop();
  fs::copy(f.redis().data_dir() / "appendonlydir", backup, fs::copy_options::recursive);
  f.redis().restart();
  std::string lost_fp;
  REQUIRE(eventually(
      [&] {
        try {
          ban_email(c, mod, "lost2@example.com", &lost_fp);
          return true;
        } catch (const std::exception&) {
          return false;  // 503 while the store reconnects
        }
      },
      10s));
  ban_email(c, mod, "lost3@example.com");
  REQUIRE(eventually([&] { return f.server().state().filter().seq() == 4; }, 10s));
  CHECK(f.server().state().filter().regressions() == 0);

  ws_client sub(f.port(), "/v1/stream?since=4", partner);
  // Live (past its replay hand-over) once the first heartbeat arrives.
  REQUIRE(std::holds_alternative<sdk::heartbeat>(decode(*sub.read(5s))));
  f.redis().kill9();
  restore_aof(f.redis().data_dir(), backup);
  f.redis().restart();

  REQUIRE(eventually([&] { return f.server().state().filter().regressions() == 1; }, 15s));
  CHECK(read_until_reset(sub) == sdk::reset_reason::resync_required);
  REQUIRE(eventually(
      [&] {
        return !f.server().state().filter().resyncing() && f.server().state().filter().seq() == 2;
      },
      10s));
  CHECK(f.server().state().epoch() == epoch);  // same list, shorter history
  CHECK(f.server().state().filter().last_regression().find("below the applied seq 4") !=
        std::string::npos);
  // Redis is the list's truth: the lost ban is gone (the alert says so).
  auto check = c.get("/v1/check?fp=" + lost_fp, partner);
  REQUIRE(check.status == 200);
  CHECK(check.body.find("\"banned\":false") != std::string::npos);
  // New bans continue from Redis's seq.
  CHECK(ban_email(c, mod, "after@example.com") == 3);
}

TEST_CASE("/readyz answers 503 with the reason while a resync after a regression runs",
          "[ha][regression][redis]") {
  service_fixture f;
  auto c = f.client();
  REQUIRE(c.get("/readyz").status == 200);
  // As the follower does on detection; the next install (rebuild) ends it.
  f.server().state().filter().note_regression("test: head 1 below applied seq 5");
  auto during = c.get("/readyz");
  CHECK(during.status == 503);
  CHECK(json_string(during, "/reason").find("history regressed") != std::string::npos);
  CHECK(json_string(during, "/reason").find("head 1 below applied seq 5") != std::string::npos);
  CHECK(c.get("/metrics").body.find("banlist_history_resyncing 1\n") != std::string::npos);
}
