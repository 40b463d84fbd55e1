// seq_signal: lets coroutines wait, with a deadline, for a seq to pass a
// value — the long-poll of GET /v1/deltas waits on the filter state's seq,
// which the change follower advances, so N waiting clients cost N timers and
// no Redis command at all.
//
// Thread-safety: every member may be called from any thread. A waiter's
// timer is only touched on its own executor (notify posts the cancel there).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace banlist::service {

class seq_signal {
 public:
  // Records that the seq reached `seq` and wakes every waiter whose seq it
  // passes. Never lowers the value.
  void notify(std::uint64_t seq);

  std::uint64_t value() const noexcept { return value_.load(std::memory_order_acquire); }

  // Returns once value() > after, or when `timeout` passed (whichever comes
  // first). Returns value() at that moment. Runs on the caller's executor.
  boost::asio::awaitable<std::uint64_t> wait_past(std::uint64_t after,
                                                  std::chrono::milliseconds timeout);

  // Number of coroutines waiting now (for tests and metrics).
  std::size_t waiting() const;

 private:
  struct waiter {
    std::uint64_t after;
    std::shared_ptr<boost::asio::steady_timer> timer;
    std::shared_ptr<bool> listed;  // false once notify took it off the list; guarded by mutex_
  };
  std::atomic<std::uint64_t> value_{0};
  mutable std::mutex mutex_;
  std::list<waiter> waiters_;  // guarded by mutex_
};

}  // namespace banlist::service
