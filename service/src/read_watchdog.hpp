// read_watchdog: the deadlines of a connection's reads, kept by one timer.
//
// A keep-alive connection waits for every request under a deadline (the
// idle timeout between requests, the read timeout within one). Beast's
// per-operation timeout arms a timer for each read and cancels it when the
// read completes, and the cancelled wait is then delivered through the
// scheduler: several lock round trips and a queued handler per request,
// ~20 % of the CPU of a GET /v1/check answered from memory. Here a read
// only records when it must end (watch()); the timer sleeps until the
// earliest time it may have to act, and when it wakes to find the deadline
// moved later it simply sleeps again. Between requests the deadline moves
// forward by the idle timeout each time, so the timer is re-armed about
// once per idle timeout, not once per request.
//
// Thread-safety: everything runs on the connection's strand (the executor
// given to the constructor); run() is spawned there, and watch(),
// unwatch() and stop() are called there.
#pragma once

#include <chrono>
#include <functional>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace banlist::service {

class read_watchdog {
 public:
  using clock = std::chrono::steady_clock;

  // `rest`: how long the timer sleeps while no read is watched (the idle
  // timeout: the next watched read then ends no earlier than that).
  read_watchdog(const boost::asio::any_io_executor& executor, clock::duration rest);

  // Until stop(): calls `expire` once for each watched read that passes its
  // deadline (the read is then no longer watched).
  boost::asio::awaitable<void> run(std::function<void()> expire);

  // A read starts now and must end within `timeout`.
  void watch(clock::duration timeout);
  // The read ended (or no read is waiting).
  void unwatch() noexcept { watching_ = false; }
  bool watching() const noexcept { return watching_; }
  void stop();

 private:
  boost::asio::steady_timer timer_;
  clock::duration rest_;
  clock::time_point deadline_{};
  clock::time_point armed_ = clock::time_point::max();  // when the timer fires
  bool watching_ = false;
  bool stopped_ = false;
};

}  // namespace banlist::service
