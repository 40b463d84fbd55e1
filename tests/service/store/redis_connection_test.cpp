// redis_connection against a real redis-server: pipelining, deadlines,
// fail-fast while down, reconnect.
//
// Note (g++ 12): no co_await inside Catch2 macros, no braced lists inside
// co_await expressions; see store.hpp.
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "redis_server.hpp"
#include "run_async.hpp"
#include "store/redis_connection.hpp"

namespace asio = boost::asio;
using namespace banlist;
using namespace banlist::service;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Not a coroutine, so no braced list ends up in a coroutine frame.
template <class... Args>
std::vector<std::string> cmd(Args... args) {
  return std::vector<std::string>{std::string(args)...};
}

asio::awaitable<std::shared_ptr<redis_connection>> connect(const test::redis_server& redis,
                                                           std::chrono::milliseconds handshake) {
  auto executor = co_await asio::this_coro::executor;
  redis_connection::config cfg;
  cfg.endpoint = redis.endpoint();
  cfg.handshake_timeout = handshake;
  cfg.reconnect_min = 20ms;
  cfg.reconnect_max = 200ms;
  auto c = redis_connection::create(executor, cfg);
  auto ready = co_await c->wait_connected(5s);
  if (!ready)
    FAIL("connect: " << ready.error().message);
  co_return c;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> incr_once(std::shared_ptr<redis_connection> c, std::size_t index,
                                std::shared_ptr<std::vector<std::int64_t>> out) {
  auto r = co_await c->execute(cmd("INCR", "counter"), 10s);
  REQUIRE(r.has_value());
  REQUIRE(r->integer());
  (*out)[index] = *r->integer();
}

}  // namespace

TEST_CASE("10,000 pipelined commands are answered in order", "[redis][connection]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto c = co_await connect(redis, 2s);
    std::vector<std::vector<std::string>> batch;
    for (int i = 0; i < 10000; ++i)
      batch.push_back(cmd("ECHO", "value-" + std::to_string(i)));
    auto replies = co_await c->execute_pipeline(std::move(batch), 10s);
    REQUIRE(replies.has_value());
    REQUIRE(replies->size() == 10000);
    for (int i = 0; i < 10000; ++i) {
      const auto* s = (*replies)[i].string();
      if (!s || *s != "value-" + std::to_string(i))
        FAIL("reply " << i << " out of order");
    }

    // 10,000 separate commands from concurrent coroutines: each gets the
    // reply to its own command (INCR values follow submission order).
    auto results = std::make_shared<std::vector<std::int64_t>>(10000, 0);
    std::vector<asio::awaitable<void>> tasks;
    for (std::size_t i = 0; i < 10000; ++i)
      tasks.push_back(incr_once(c, i, results));
    co_await test::wait_all(std::move(tasks));
    std::set<std::int64_t> distinct(results->begin(), results->end());
    CHECK(distinct.size() == 10000);
    CHECK(*distinct.begin() == 1);
    CHECK(*distinct.rbegin() == 10000);
    CHECK(std::is_sorted(results->begin(), results->end()));
    c->close();
  });
}

TEST_CASE("a command past its deadline completes outcome_unknown, recovers after SIGCONT",
          "[redis][connection]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto c = co_await connect(redis, 300ms);
    REQUIRE(::kill(redis.pid(), SIGSTOP) == 0);
    const auto t0 = clock_type::now();
    auto stuck = co_await c->execute(cmd("PING"), 300ms);
    const auto waited = clock_type::now() - t0;
    ::kill(redis.pid(), SIGCONT);  // before any REQUIRE can leave it stopped
    REQUIRE_FALSE(stuck.has_value());
    CHECK(stuck.error().code == store_errc::outcome_unknown);
    CHECK(waited >= 290ms);
    CHECK(waited < 1s);
    CHECK_FALSE(c->connected());

    ::kill(redis.pid(), SIGSTOP);
    // While the link is down (the reconnect handshake cannot finish),
    // commands fail at once and are never sent.
    const auto t1 = clock_type::now();
    auto refused = co_await c->execute(cmd("SET", "never", "sent"), 300ms);
    const auto refused_after = clock_type::now() - t1;
    ::kill(redis.pid(), SIGCONT);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == store_errc::unavailable);
    CHECK(refused_after < 100ms);

    auto ready = co_await c->wait_connected(5s);
    REQUIRE(ready.has_value());
    auto pong = co_await c->execute(cmd("PING"), 2s);
    REQUIRE(pong.has_value());
    REQUIRE(pong->status());
    CHECK(pong->status()->text == "PONG");
    auto never = co_await c->execute(cmd("EXISTS", "never"), 2s);
    REQUIRE(never.has_value());
    CHECK(*never->integer() == 0);
    c->close();
  });
}

TEST_CASE("commands fail fast while Redis is down, reconnect after restart",
          "[redis][connection]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto c = co_await connect(redis, 1s);
    auto set = co_await c->execute(cmd("SET", "k", "v"), 2s);
    REQUIRE(set.has_value());
    const auto connects = c->connect_count();

    redis.kill9();
    for (int i = 0; i < 200 && c->connected(); ++i)
      co_await sleep_for(5ms);
    REQUIRE_FALSE(c->connected());
    const auto t0 = clock_type::now();
    auto down = co_await c->execute(cmd("GET", "k"), 2s);
    CHECK(clock_type::now() - t0 < 50ms);
    REQUIRE_FALSE(down.has_value());
    CHECK(down.error().code == store_errc::unavailable);

    redis.restart();
    auto ready = co_await c->wait_connected(10s);
    REQUIRE(ready.has_value());
    CHECK(c->connect_count() == connects + 1);
    auto get = co_await c->execute(cmd("GET", "k"), 2s);
    REQUIRE(get.has_value());
    REQUIRE(get->string());
    CHECK(*get->string() == "v");  // appendfsync always: the SET survived kill -9
    c->close();
  });
}

TEST_CASE("error replies are values, the connection stays usable", "[redis][connection]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto c = co_await connect(redis, 1s);
    auto bad = co_await c->execute(cmd("NOSUCHCOMMAND"), 2s);
    REQUIRE(bad.has_value());
    REQUIRE(bad->error());
    CHECK(bad->error()->message.starts_with("ERR"));
    auto ok = co_await c->execute(cmd("PING"), 2s);
    REQUIRE(ok.has_value());
    CHECK(ok->status());
    c->close();
    co_await sleep_for(20ms);
    auto closed = co_await c->execute(cmd("PING"), 2s);
    REQUIRE_FALSE(closed.has_value());
    CHECK(closed.error().code == store_errc::unavailable);
  });
}

TEST_CASE("a TCP endpoint works like the unix socket", "[redis][connection]") {
  test::redis_server_options options;
  options.unix_socket = false;
  test::redis_server redis(options);
  CHECK(redis.endpoint().port != 0);
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto c = co_await connect(redis, 1s);
    auto r = co_await c->execute(cmd("ECHO", std::string("bin\0ary", 7)), 2s);
    REQUIRE(r.has_value());
    REQUIRE(r->string());
    CHECK(*r->string() == std::string("bin\0ary", 7));
    c->close();
  });
}

TEST_CASE("callers on short-lived io_contexts: the connection lets go of them in time",
          "[redis][connection]") {
  // The connection runs on its own thread; each call comes from a fresh
  // io_context that is destroyed as soon as its reply arrived. The
  // connection must release its hold on a caller's executor on the caller's
  // side, before that context can be gone (ASan reports it otherwise; a
  // plain build may crash).
  test::redis_server redis;
  asio::io_context home;
  auto guard = asio::make_work_guard(home);
  std::thread runner([&] { home.run(); });
  redis_connection::config cfg;
  cfg.endpoint = redis.endpoint();
  auto c = redis_connection::create(home.get_executor(), cfg);
  auto ready = test::run_async([&](auto) -> asio::awaitable<store_result<void>> {
    co_return co_await c->wait_connected(5s);
  });
  REQUIRE(ready.has_value());
  std::int64_t last = 0;
  for (int i = 0; i < 3000; ++i) {
    auto reply = test::run_async([&](auto) -> asio::awaitable<store_result<redis_value>> {
      co_return co_await c->execute(cmd("INCR", "short-lived"), 5s);
    });
    REQUIRE(reply.has_value());
    REQUIRE(reply->integer());
    last = *reply->integer();
  }
  CHECK(last == 3000);
  c->close();
  guard.reset();
  home.stop();
  runner.join();
}
