// Test support for the delta and snapshot tests: a reproducible random
// history of bans and lifts written through the server's store (fast: many
// scripts in flight at once), and the model of the list it leaves behind.
// Not thread-safe: one per test.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include "banlist/sdk/reason.hpp"

#include "run_async.hpp"
#include "service_fixture.hpp"

namespace banlist::test {

struct model_entry {
  sdk::identifier_type type;
  sdk::ban_reason reason;
};

// Runs coroutines from the test thread on one io_context that lives until
// the program ends. (A store completes on the caller's executor and drops
// its reference to it on a server thread just after; with a short-lived
// context per call, as run_async makes, that reference can outlive the
// context.)
class test_runner {
 public:
  template <class T>
  T run(boost::asio::awaitable<T> task) {
    std::optional<T> result;
    std::exception_ptr error;
    bool done = false;
    boost::asio::co_spawn(context_, std::move(task), [&](std::exception_ptr e, T value) {
      error = e;
      if (!e)
        result.emplace(std::move(value));
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done && std::chrono::steady_clock::now() < deadline)
      context_.run_one_for(std::chrono::milliseconds(50));
    if (!done)
      throw std::runtime_error("test_runner: the coroutine did not finish in time");
    if (error)
      std::rethrow_exception(error);
    return std::move(*result);
  }

  static test_runner& instance() {
    static test_runner runner;
    return runner;
  }

 private:
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      context_.get_executor()};
};

// Runs one store call (a function returning an awaitable) from the test thread.
template <class F>
auto store_call(F call) {
  return test_runner::instance().run(call());
}

inline boost::asio::awaitable<bool> all_of(std::vector<boost::asio::awaitable<void>> tasks) {
  co_await wait_all(std::move(tasks));
  co_return true;
}

class delta_history {
 public:
  explicit delta_history(std::uint64_t seed) : rng_(seed) {}

  // Applies `ops` random changes (about 2 bans for every lift) to the list
  // of `f`'s server, `in_flight` at a time on distinct fingerprints, and
  // updates the model. Throws on a store error.
  void run(service_fixture& f, std::size_t ops, std::size_t in_flight = 64) {
    auto s = f.server().state().current_store();
    if (!s)
      throw std::runtime_error("no store");
    std::size_t done = 0;
    while (done < ops) {
      std::vector<boost::asio::awaitable<void>> tasks;
      std::map<fingerprint, bool> chosen;  // fp -> ban?
      const std::size_t n = std::min(in_flight, ops - done);
      while (chosen.size() < n) {
        const bool lift = !banned_.empty() && rng_() % 3 == 0;
        if (lift) {
          auto it = banned_.begin();
          std::advance(it, static_cast<long>(rng_() % std::min<std::size_t>(banned_.size(), 64)));
          chosen.emplace(it->first, false);
        } else {
          fingerprint fp{rng_(), rng_()};
          // Now and then re-ban a lifted fingerprint.
          if (!lifted_.empty() && rng_() % 5 == 0)
            fp = lifted_[rng_() % lifted_.size()];
          if (!banned_.contains(fp))
            chosen.emplace(fp, true);
        }
      }
      for (const auto& [fp, ban] : chosen) {
        if (ban) {
          const model_entry e{static_cast<sdk::identifier_type>(1 + rng_() % 8),
                              kReasons[rng_() % std::size(kReasons)]};
          banned_[fp] = e;
          tasks.push_back(do_ban(s, fp, e));
        } else {
          banned_.erase(fp);
          lifted_.push_back(fp);
          tasks.push_back(do_lift(s, fp));
        }
      }
      test_runner::instance().run(all_of(std::move(tasks)));
      done += n;
    }
  }

  const std::map<fingerprint, model_entry>& banned() const { return banned_; }
  fingerprint digest() const {
    fingerprint d;
    for (const auto& [fp, e] : banned_) {
      d.high ^= fp.high;
      d.low ^= fp.low;
    }
    return d;
  }

 private:
  static constexpr sdk::ban_reason kReasons[] = {
      sdk::ban_reason::telecom_fraud, sdk::ban_reason::phishing, sdk::ban_reason::spam,
      sdk::ban_reason::money_mule, sdk::ban_reason::other};

  static boost::asio::awaitable<void> do_ban(std::shared_ptr<service::store> s, fingerprint fp,
                                             model_entry e) {
    service::ban_record r;
    r.fp = fp;
    r.type = e.type;
    r.value = "v";
    r.masked = "m";
    r.reason = std::string(sdk::to_string(e.reason));
    service::actor who{"test", "127.0.0.1", "req"};
    auto out = co_await s->ban(std::move(r), std::move(who));
    if (!out || !out->created)
      throw std::runtime_error("history ban failed");
  }

  static boost::asio::awaitable<void> do_lift(std::shared_ptr<service::store> s, fingerprint fp) {
    service::actor who{"test", "127.0.0.1", "req"};
    std::string reason = "mistake";
    auto out = co_await s->lift(fp, std::move(reason), std::move(who));
    if (!out)
      throw std::runtime_error("history lift failed");
  }

  std::mt19937_64 rng_;
  std::map<fingerprint, model_entry> banned_;
  std::vector<fingerprint> lifted_;
};

}  // namespace banlist::test
