#include "http_load.hpp"

#include <atomic>
#include <cstdio>
#include <thread>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace banlist::banbench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct shared_run {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> issued{0};  // count mode only
  std::uint64_t count = 0;
};

struct connection_stats {
  latency_histogram latency;
  std::uint64_t requests = 0;
  std::uint64_t items = 0;
  std::uint64_t transport_errors = 0;
  std::array<std::uint64_t, 6> status_classes{};
  std::uint64_t first_unexpected_status = 0;
};

bool take_ticket(shared_run& run) {
  if (run.stop.load(std::memory_order_relaxed))
    return false;
  if (run.count == 0)
    return true;
  return run.issued.fetch_add(1, std::memory_order_relaxed) < run.count;
}

asio::awaitable<void> drive_connection(tcp::resolver::results_type endpoints,
                                       const load_config& config, shared_run& run,
                                       std::unique_ptr<request_maker> maker,
                                       connection_stats& stats) {
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  while (!run.stop.load(std::memory_order_relaxed)) {
    beast::tcp_stream stream(executor);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++stats.transport_errors;
      asio::steady_timer pause(executor, std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buffer;
    http_request req;
    req.version(11);
    req.set(http::field::host, config.host);
    req.set(http::field::user_agent, "banbench");
    if (!config.authorization.empty())
      req.set(http::field::authorization, config.authorization);
    bool open = true;
    while (open && take_ticket(run)) {
      maker->next(req);
      req.prepare_payload();
      const auto start = clock_type::now();
      co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        ++stats.transport_errors;
        break;
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        ++stats.transport_errors;
        break;
      }
      const auto elapsed = clock_type::now() - start;
      const auto& res = parser.get();
      open = res.keep_alive();
      if (run.count == 0 && (!run.measuring.load(std::memory_order_relaxed) ||
                             run.stop.load(std::memory_order_relaxed))) {
        continue;  // warm-up, or answered after the window closed
      }
      const unsigned code = res.result_int();
      ++stats.status_classes[std::min<std::size_t>(code / 100, 5)];
      if (code / 100 != 2 && stats.first_unexpected_status == 0)
        stats.first_unexpected_status = code;
      stats.latency.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
      ++stats.requests;
      stats.items += maker->items_per_request();
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    if (run.count != 0 && run.issued.load(std::memory_order_relaxed) >= run.count)
      break;
  }
}

}  // namespace

load_result run_load(const load_config& config, const maker_factory& make) {
  asio::io_context ioc(static_cast<int>(config.threads));
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(config.host, config.port);
  shared_run run;
  run.count = config.count;
  std::vector<connection_stats> stats(config.connections);
  std::atomic<std::size_t> running{config.connections};
  for (std::size_t i = 0; i < config.connections; ++i) {
    asio::co_spawn(asio::make_strand(ioc),
                   drive_connection(endpoints, config, run, make(i), stats[i]),
                   [&running](std::exception_ptr) { --running; });
  }
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < config.threads; ++t)
    threads.emplace_back([&ioc] { ioc.run(); });

  clock_type::time_point begin;
  clock_type::time_point end;
  if (config.count == 0) {
    std::this_thread::sleep_for(config.warmup);
    begin = clock_type::now();
    run.measuring = true;
    std::this_thread::sleep_for(config.duration);
    run.stop = true;
    end = clock_type::now();
  } else {
    begin = clock_type::now();
    run.measuring = true;
    while (running.load() > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    end = clock_type::now();
  }
  for (auto& t : threads)
    t.join();

  load_result r;
  r.seconds = std::chrono::duration<double>(end - begin).count();
  for (const auto& s : stats) {
    r.latency.merge(s.latency);
    r.requests += s.requests;
    r.items += s.items;
    r.transport_errors += s.transport_errors;
    for (std::size_t k = 0; k < r.status_classes.size(); ++k)
      r.status_classes[k] += s.status_classes[k];
    if (r.first_unexpected_status == 0)
      r.first_unexpected_status = s.first_unexpected_status;
  }
  return r;
}

void print_result(const std::string& name, const load_config& config, const load_result& r) {
  const double rps = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
  const double ips = r.seconds > 0 ? static_cast<double>(r.items) / r.seconds : 0;
  auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
  std::printf("banbench %s: %zu connections, %zu client threads, %.2f s measured\n", name.c_str(),
              config.connections, config.threads, r.seconds);
  std::printf("  requests %llu (2xx %llu, 4xx %llu, 5xx %llu, transport errors %llu)\n",
              static_cast<unsigned long long>(r.requests),
              static_cast<unsigned long long>(r.status_classes[2]),
              static_cast<unsigned long long>(r.status_classes[4]),
              static_cast<unsigned long long>(r.status_classes[5]),
              static_cast<unsigned long long>(r.transport_errors));
  if (r.first_unexpected_status != 0)
    std::printf("  first non-2xx status: %llu\n",
                static_cast<unsigned long long>(r.first_unexpected_status));
  std::printf("  rate %.1f req/s, %.1f items/s\n", rps, ips);
  std::printf("  latency mean %.3f ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f ms\n",
              r.latency.mean() / 1e6, ms(r.latency.quantile(0.50)), ms(r.latency.quantile(0.90)),
              ms(r.latency.quantile(0.99)), ms(r.latency.max()));
  std::printf(
      "RESULT %s rps=%.1f items_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      "ok=%llu non2xx=%llu errors=%llu\n",
      name.c_str(), rps, ips, ms(r.latency.quantile(0.50)), ms(r.latency.quantile(0.90)),
      ms(r.latency.quantile(0.99)), ms(r.latency.max()),
      static_cast<unsigned long long>(r.status_classes[2]),
      static_cast<unsigned long long>(r.requests - r.status_classes[2]),
      static_cast<unsigned long long>(r.transport_errors));
  std::fflush(stdout);
}

}  // namespace banlist::banbench
