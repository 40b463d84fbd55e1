#include "deltas/seq_signal.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace banlist::service {
namespace asio = boost::asio;

void seq_signal::notify(std::uint64_t seq) {
  std::uint64_t now = value_.load(std::memory_order_relaxed);
  while (now < seq && !value_.compare_exchange_weak(now, seq, std::memory_order_acq_rel)) {
  }
  std::lock_guard lock(mutex_);
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->after < seq) {
      // steady_timer is not thread-safe: cancel on the waiter's executor.
      auto timer = it->timer;
      *it->listed = false;
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

asio::awaitable<std::uint64_t> seq_signal::wait_past(std::uint64_t after,
                                                     std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, timeout);
  std::list<waiter>::iterator mine;
  auto listed = std::make_shared<bool>(true);
  {
    std::lock_guard lock(mutex_);
    // Checked under the lock: a notify that raced ahead already ran, and a
    // later one will find us in the list.
    if (value() > after)
      co_return value();
    waiters_.push_back(waiter{after, timer, listed});
    mine = std::prev(waiters_.end());
  }
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  {
    std::lock_guard lock(mutex_);
    // Still listed when the deadline passed; notify removed it otherwise.
    if (*listed)
      waiters_.erase(mine);
  }
  co_return value();
}

std::size_t seq_signal::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace banlist::service
