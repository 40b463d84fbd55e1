#include "read_watchdog.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace banlist::service {
namespace asio = boost::asio;

read_watchdog::read_watchdog(const asio::any_io_executor& executor, clock::duration rest)
    : timer_(executor), rest_(rest) {}

asio::awaitable<void> read_watchdog::run(std::function<void()> expire) {
  while (!stopped_) {
    const auto now = clock::now();
    if (watching_ && now >= deadline_) {
      watching_ = false;
      expire();
      continue;  // `expire` may have stopped us
    }
    armed_ = watching_ ? deadline_ : now + rest_;
    timer_.expires_at(armed_);
    boost::system::error_code ignored;  // woken early (watch, stop) or on time: look again
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void read_watchdog::watch(clock::duration timeout) {
  deadline_ = clock::now() + timeout;
  watching_ = true;
  if (deadline_ < armed_)
    timer_.cancel();  // the loop sleeps past the new deadline: wake it to re-arm
}

void read_watchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace banlist::service
