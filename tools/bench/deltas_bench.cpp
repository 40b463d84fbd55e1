// deltas_bench: figures for docs/benchmarks.md.
//   1. snapshot build (service/src/deltas/snapshot_builder): sort, merge the
//      replayed log, verify the digest, build the filter and encode both
//      containers, for N random bans (N from the command line); then the
//      cache's incremental rebuild: decode that snapshot's list, replay
//      10,000 changes, build again.
//   2. GET /v1/deltas served throughput, binary form: an in-process banlistd
//      with its embedded redis-server, 10,000 changes in the log, C client
//      threads fetching since=0&limit=10000 in a loop for D seconds, first
//      with the in-memory change window, then with --delta-window 0 (every
//      page from Redis), side by side.
// Usage: deltas_bench [snapshot N...] [poll C D]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "banlist/sdk/delta_binary.hpp"
#include "deltas/snapshot_builder.hpp"
#include "server.hpp"

namespace {
using namespace banlist;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void bench_snapshot(std::size_t n) {
  std::mt19937_64 rng(42);
  service::snapshot_input in;
  in.epoch = 1;
  in.seed = 2;
  in.scanned.reserve(n);
  fingerprint digest;
  for (std::size_t i = 0; i < n; ++i) {
    const fingerprint fp{rng(), rng()};
    in.scanned.push_back(service::banned_entry{fp, 1, 1});
    digest.high ^= fp.high;
    digest.low ^= fp.low;
  }
  in.seq = n;
  in.digest = digest;
  const auto start = clock_type::now();
  auto built = service::build_snapshot(std::move(in));
  const double took = seconds_since(start);
  if (!built) {
    std::printf("snapshot %zu: failed: %s\n", n, built.error().c_str());
    return;
  }
  std::printf(
      "snapshot build, %zu bans: %.3f s; filter container %zu bytes (%.2f bits/ban), "
      "fps container %zu bytes\n",
      n, took, built->filter_body.size(), 8.0 * double(built->filter_body.size()) / double(n),
      built->fps_body.size());

  // The cache's usual rebuild: the previous snapshot's list plus the next
  // snapshot_max_changes (10,000) changes, half new bans and half lifts.
  const auto base_start = clock_type::now();
  auto base = service::entries_of(*built);
  if (!base) {
    std::printf("snapshot %zu: base: %s\n", n, base.error().c_str());
    return;
  }
  service::snapshot_input next;
  next.epoch = 1;
  next.seed = 2;
  next.scanned = std::move(*base);
  next.scanned_sorted = true;
  next.digest = digest;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    service::change c;
    c.seq = n + 1 + i;
    c.type = sdk::identifier_type::phone;
    if (i % 2 == 0) {
      c.op = service::change_op::ban;
      c.fp = fingerprint{rng(), rng()};
      c.reason = "telecom_fraud";
    } else {
      c.op = service::change_op::lift;
      c.fp = next.scanned[i * 97].fp;
      c.reason = "mistake";
    }
    digest.high ^= c.fp.high;
    digest.low ^= c.fp.low;
    next.replay.push_back(c);
  }
  next.seq = n + 10000;
  next.digest = digest;
  auto rebuilt = service::build_snapshot(std::move(next));
  const double rebuild_took = seconds_since(base_start);
  if (!rebuilt) {
    std::printf("snapshot %zu: incremental: %s\n", n, rebuilt.error().c_str());
    return;
  }
  std::printf("snapshot rebuild, %zu bans + 10,000 changes (from the previous snapshot): %.3f s\n",
              n, rebuild_took);
}

boost::asio::awaitable<void> seed_log(std::shared_ptr<service::store> s, std::size_t n) {
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < n; ++i) {
    service::ban_record r;
    r.fp = fingerprint{rng(), rng()};
    r.type = sdk::identifier_type::phone;
    r.value = "v";
    r.masked = "m";
    r.reason = "telecom_fraud";
    service::actor who{"bench", "", ""};
    (void)co_await s->ban(std::move(r), std::move(who));
  }
}

// `window` is --delta-window: 0 reads every page from Redis (the baseline
// the in-memory window is measured against).
void bench_poll(unsigned clients, double duration_s, std::uint64_t window) {
  namespace http = boost::beast::http;
  const auto dir = std::filesystem::temp_directory_path() / "banlist-deltas-bench";
  std::filesystem::remove_all(dir);
  service::service_config config;
  config.listen_port = 0;
  config.data_dir = dir.string();
  config.threads = 1;
  config.delta_window = window;
  config.admin_key = "bench-admin-key-0123456789";
  auto server = service::server::start(config, {});
  if (!server || !(*server)->wait_ready(std::chrono::seconds(30))) {
    std::printf("poll: server did not start\n");
    return;
  }
  constexpr std::size_t kChanges = 10000;
  {
    boost::asio::io_context ioc;
    auto done = boost::asio::co_spawn(ioc, seed_log((*server)->state().current_store(), kChanges),
                                      boost::asio::use_future);
    ioc.run();
    done.get();
  }
  const std::uint16_t port = (*server)->port();
  std::atomic<std::uint64_t> changes{0}, requests{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::socket socket(ioc);
      socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
      boost::beast::flat_buffer buffer;
      http::request<http::empty_body> req{http::verb::get, "/v1/deltas?since=0&limit=10000", 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::authorization, "Bearer " + config.admin_key);
      req.set(http::field::accept, std::string(sdk::kDeltaBinaryMediaType));
      while (!stop.load()) {
        http::write(socket, req);
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        if (res.result() != http::status::ok)
          break;
        const auto n = res.body().size() >= 72 ? (res.body().size() - 72) / 40 : 0;
        changes += n;
        ++requests;
      }
    });
  }
  const auto start = clock_type::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration_s));
  stop = true;
  for (auto& t : threads)
    t.join();
  const double took = seconds_since(start);
  std::printf(
      "poll, binary, window %llu, %u clients, %.1f s: %.0f requests/s, %.0f changes/s served\n",
      static_cast<unsigned long long>(window), clients, took, double(requests) / took,
      double(changes) / took);
  (*server)->stop();
  (void)(*server)->wait();
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    args = {"snapshot", "1000000", "poll", "2", "5"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "snapshot") {
      while (i + 1 < args.size() && std::isdigit(static_cast<unsigned char>(args[i + 1][0])))
        bench_snapshot(std::stoull(args[++i]));
    } else if (args[i] == "poll" && i + 2 < args.size()) {
      // Side by side in one run: the window, then every page from Redis.
      const auto clients = static_cast<unsigned>(std::stoul(args[i + 1]));
      const double duration_s = std::stod(args[i + 2]);
      bench_poll(clients, duration_s, service::service_config{}.delta_window);
      bench_poll(clients, duration_s, 0);
      i += 2;
    }
  }
  return 0;
}
