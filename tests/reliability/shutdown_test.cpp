// Graceful shutdown under load, on the real binary: 16 keep-alive clients
// check in a loop, banlistd gets SIGTERM, and no request sent before the
// signal may end in a reset or a 5xx; the process exits 0 well within its
// 25 s budget.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "banlistd_process.hpp"
#include "redis_server.hpp"
#include "service_fixture.hpp"

namespace banlist::test {
namespace {
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct sent_request {
  clock_type::time_point started;
  int status = 0;     // 0: transport error (reset, refused)
  std::string error;  // what the transport error was
};
}  // namespace

TEST_CASE("SIGTERM under load: nothing sent before it is reset or answered 5xx",
          "[reliability][http][redis]") {
  redis_server redis;
  banlistd_process instance(redis.url());
  http_client admin(instance.port());
  auto key = admin.post("/v1/keys", kAdminKey, R"({"role":"partner","name":"shutdown"})");
  REQUIRE(key.status == 201);
  const std::string partner = json_string(key, "/key");

  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<sent_request> requests;  // guarded by mutex
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      std::optional<http_client> c;
      std::vector<sent_request> mine;
      for (std::uint64_t i = 0; !stop; ++i) {
        char fp[33];
        std::snprintf(fp, sizeof fp, "%016llx%016llx", static_cast<unsigned long long>(t),
                      static_cast<unsigned long long>(i));
        sent_request r{clock_type::now(), 0, {}};
        try {
          if (!c)
            c.emplace(instance.port());
          r.started = clock_type::now();
          const auto reply = c->get(std::string("/v1/check?fp=") + fp, partner);
          r.status = static_cast<int>(reply.status);
          if (reply.closed)
            c.reset();
        } catch (const std::exception& e) {
          r.error = e.what();
          c.reset();
          std::this_thread::sleep_for(5ms);
        }
        mine.push_back(r);
      }
      std::lock_guard lock(mutex);
      requests.insert(requests.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(1s);
  const auto signalled = clock_type::now();
  instance.signal(SIGTERM);
  const int status = instance.wait();
  const auto exited = clock_type::now();
  stop = true;
  for (auto& t : clients)
    t.join();

  CHECK(status == 0);
  CHECK(exited - signalled < 25s);
  std::size_t before = 0, bad = 0, after_refused = 0;
  for (const auto& r : requests) {
    if (r.started < signalled) {
      ++before;
      if (r.status < 200 || r.status >= 300) {
        ++bad;
        UNSCOPED_INFO(
            "sent "
            << std::chrono::duration_cast<std::chrono::microseconds>(signalled - r.started).count()
            << " us before SIGTERM: status " << r.status << " " << r.error);
      }
    } else if (r.status == 0) {
      ++after_refused;
    }
  }
  WARN(before << " requests before SIGTERM, " << bad << " of them reset or 5xx; " << after_refused
              << " refused after it; exit took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(exited - signalled).count()
              << " ms");
  CHECK(before > 100);
  CHECK(bad == 0);
}

}  // namespace banlist::test

namespace banlist::test {

// The race behind the test above, made to happen every time: a keep-alive
// connection is idle, its client sends a request, and the shutdown begins
// before banlistd has read it (the process is stopped meanwhile, so the
// bytes wait in the socket and the SIGTERM waits as a pending signal). The
// request was sent before the signal: it gets its answer.
TEST_CASE("SIGTERM while a request waits unread on an idle connection: it is answered",
          "[reliability][http][redis]") {
  redis_server redis;
  // Whether banlistd reads the request before or after the shutdown begins
  // is up to its event loop; without the fix about one round in three lost
  // the request, so ten rounds catch that almost always.
  for (int round = 0; round < 10; ++round) {
    banlistd_process instance(redis.url());
    http_client client(instance.port());
    REQUIRE(client.get("/healthz").status == 200);  // keep-alive, now idle
    instance.signal(SIGSTOP);
    std::this_thread::sleep_for(20ms);  // the stop has taken effect
    auto reply = std::async(std::launch::async, [&] { return client.get("/healthz"); });
    std::this_thread::sleep_for(50ms);  // the request is in banlistd's socket
    instance.signal(SIGTERM);           // pending until the process runs again
    instance.signal(SIGCONT);
    http_reply got;
    REQUIRE_NOTHROW(got = reply.get());
    CHECK(got.status == 200);
    CHECK(instance.wait() == 0);
  }
}

}  // namespace banlist::test
