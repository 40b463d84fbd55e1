// Test support: runs a coroutine to completion on a temporary io_context
// and returns its result.
//
//   auto seq = banlist::test::run_async([&](auto ex) -> boost::asio::awaitable<int> {
//     auto store = co_await open_redis_store(ex, redis.endpoint(), {});
//     ...
//     co_return 42;
//   });
//
// `body` receives the context's executor. Anything still running on the
// context when the coroutine finishes (e.g. a store's reconnect loop) is
// dropped with the context. Throws std::runtime_error after `timeout`, and
// rethrows what the coroutine threw (Catch2 reports it). Single-threaded:
// the calling thread runs the context.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <vector>

namespace banlist::test {

template <class A>
struct awaitable_value;
template <class T, class E>
struct awaitable_value<boost::asio::awaitable<T, E>> {
  using type = T;
};

template <class F>
auto run_async(F&& body, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  using awaitable_type = decltype(body(std::declval<boost::asio::any_io_executor>()));
  using T = typename awaitable_value<awaitable_type>::type;
  boost::asio::io_context context;
  std::exception_ptr error;
  bool done = false;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> result{};
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(context, body(context.get_executor()), [&](std::exception_ptr e) {
      error = e;
      done = true;
    });
  } else {
    boost::asio::co_spawn(context, body(context.get_executor()),
                          [&](std::exception_ptr e, T value) {
                            error = e;
                            if (!e)
                              result.emplace(std::move(value));
                            done = true;
                          });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= decltype(left)::zero() || context.run_one_for(left) == 0) {
      if (!done)
        throw std::runtime_error("run_async: the coroutine did not finish in time");
    }
  }
  context.stop();
  if (error)
    std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>)
    return std::move(*result);
}

// Runs `tasks` concurrently on the current executor and returns when all
// have finished; rethrows the first exception any of them threw. Write the
// tasks as free coroutine functions taking their arguments by value (a
// lambda coroutine's captures die with the lambda).
inline boost::asio::awaitable<void> wait_all(std::vector<boost::asio::awaitable<void>> tasks) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(tasks.size());
  auto first_error = std::make_shared<std::exception_ptr>();
  for (auto& task : tasks) {
    boost::asio::co_spawn(executor, std::move(task),
                          [remaining, first_error](std::exception_ptr e) {
                            if (e && !*first_error)
                              *first_error = e;
                            --*remaining;
                          });
  }
  boost::asio::steady_timer timer(executor);
  while (*remaining > 0) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  if (*first_error)
    std::rethrow_exception(*first_error);
}

}  // namespace banlist::test
