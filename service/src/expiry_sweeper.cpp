#include "expiry_sweeper.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {
// A pass stops after this many entries; the next pass goes on (so one
// pass never holds the loop for long after a mass expiry).
constexpr std::size_t kMaxPerPass = 100000;
}  // namespace

asio::awaitable<store_result<sweep_result>> sweep_expired(store& s, std::int64_t now_s,
                                                          std::size_t batch) {
  sweep_result result;
  while (result.examined < kMaxPerPass) {
    auto due = co_await s.expiring_bans(now_s, batch);
    if (!due)
      co_return std::unexpected(std::move(due.error()));
    std::size_t lifted_now = 0;
    for (const auto& fp : *due) {
      auto lifted = co_await s.expire_ban(fp);
      if (!lifted)
        co_return std::unexpected(std::move(lifted.error()));
      if (*lifted)
        ++lifted_now;
    }
    result.examined += due->size();
    result.lifted += lifted_now;
    // A short batch means everything due was seen. A full one with nothing
    // lifted means another instance is sweeping the same entries (or
    // Redis's clock is behind ours): leave the rest to the next pass.
    if (due->size() < batch || lifted_now == 0)
      break;
  }
  co_return result;
}

asio::awaitable<void> run_expiry_sweeper(service_state& state) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (!state.shutting_down()) {
    if (auto s = state.current_store(); s && s->connected()) {
      const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      auto swept = co_await sweep_expired(*s, now_s);
      if (!swept && !state.shutting_down()) {  // closing the store fails it
        log_line(log_level::warning, "expiry sweep failed: " + swept.error().message);
      } else if (swept && swept->lifted > 0) {
        log_line(log_level::info,
                 "expiry: lifted " + std::to_string(swept->lifted) + " expired bans");
      }
    }
    tick.expires_after(state.config().expiry_interval);
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace banlist::service
