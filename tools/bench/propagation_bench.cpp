// propagation_bench: how long a ban takes from its 2xx on instance A to its
// arrival at WebSocket subscribers of instance B (GET /v1/stream), with 1,
// 100 and 1,000 subscribers. Starts an embedded redis-server (through
// instance A) and two in-process banlistd instances on it, then for each
// subscriber count makes sequential bans on A and timestamps, per
// subscriber, the first message carrying each ban's seq.
//
//   propagation_bench [--bans N] [--subscribers 1,100,1000] [--threads T]
//                     [--interval-ms M]   (pause after each ban's 2xx, default 2)
//                     [--clients raw,beast]  (default raw)
//
// Two kinds of subscribers: `raw` (raw_ws_subscribers.hpp: plain sockets and
// one epoll thread, the cheapest honest client, checking seq continuity) and
// `beast` (Beast websocket streams on one io_context thread, the original).
// Both run on the same cores as the server, so their CPU is part of what is
// measured; `raw` keeps that part small.
//
// Prints p50/p99/max per subscriber count, and the CPU the server (both
// instances, all but the bench's own threads; redis-server not included) and
// the clients spent per delivered message during the ban phase. A ban's message may reach B's
// subscribers before A's 2xx reaches the bench (both race over loopback);
// such samples count as 0.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>
#include <time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "raw_ws_subscribers.hpp"
#include "server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string kAdmin = "bench-admin-key-0123456789";

// Where each seq arrived, per subscriber (index seq - first_seq).
struct arrivals {
  std::uint64_t first_seq = 0;
  std::vector<std::vector<clock_type::time_point>> at;  // [subscriber][seq - first]
};

class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  subscriber(asio::io_context& ioc, arrivals& out, std::size_t index)
      : ws_(ioc), out_(out), index_(index) {}

  void connect(std::uint16_t port, std::uint64_t since) {
    beast::get_lowest_layer(ws_).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + kAdmin);
    }));
    ws_.handshake("127.0.0.1", "/v1/stream?since=" + std::to_string(since));
  }

  void start() { read(); }
  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec)
        return;
      self->on_message();
      self->read();
    });
  }
  // Only the `to` of a changes message matters here; a full decode would
  // bill the bench's own parsing to the service.
  void on_message() {
    const auto now = clock_type::now();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (text.rfind(R"({"type":"changes")", 0) != 0)
      return;
    const auto pos = text.find(R"("to":)");
    if (pos == std::string::npos)
      return;
    std::uint64_t to = 0;
    std::from_chars(text.data() + pos + 5, text.data() + text.size(), to);
    auto& mine = out_.at[index_];
    for (std::uint64_t s = std::max(seen_ + 1, out_.first_seq); s <= to; ++s) {
      if (s - out_.first_seq < mine.size())
        mine[s - out_.first_seq] = now;
    }
    seen_ = std::max(seen_, to);
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  arrivals& out_;
  std::size_t index_;
  std::uint64_t seen_ = 0;
};

// A keep-alive HTTP client for the bans on A.
class ban_client {
 public:
  explicit ban_client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(asio::ip::tcp::no_delay(true));
  }
  // Returns the seq of the ban.
  std::uint64_t ban(const std::string& email) {
    http::request<http::string_body> req{http::verb::post, "/v1/bans", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + kAdmin);
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"type":"email","value":")" + email + R"(","reason":"telecom_fraud"})";
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    if (res.result_int() != 201)
      throw std::runtime_error("ban: " + std::to_string(res.result_int()) + " " + res.body());
    const auto pos = res.body().find(R"("seq":)");
    std::uint64_t seq = 0;
    std::from_chars(res.body().data() + pos + 6, res.body().data() + res.body().size(), seq);
    return seq;
  }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

double ms(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// One measurement: `count` subscribers from seq first_seq - 1, then `bans`
// sequential bans on A.
struct bench_round {
  ban_client& banner;
  int& email_counter;
  std::uint64_t first_seq;
  std::size_t count;
  int bans;
  int interval_ms;
};

struct round_result {
  std::vector<double> samples;  // ms from A's 2xx to arrival, sorted
  // CPU seconds over the ban phase: the clients' thread, and the rest of
  // the process but the thread making the bans (both instances' threads).
  double client_cpu_s = 0;
  double server_cpu_s = 0;
  std::uint64_t missing = 0;
  std::uint64_t errors = 0;  // protocol errors (raw clients only)
  std::string error;         // the round could not run
};

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of the process, of the clients' thread and of this thread, from
// construction to stop(): load on the machine stretches latency, much less
// the CPU each side spends.
class cpu_window {
 public:
  explicit cpu_window(std::thread& clients) {
    pthread_getcpuclockid(clients.native_handle(), &clients_);
    pthread_getcpuclockid(pthread_self(), &self_);
    process_ = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    client_ = cpu_seconds(clients_);
    banner_ = cpu_seconds(self_);
  }
  void stop(round_result& out) const {
    const double client = cpu_seconds(clients_) - client_;
    const double banner = cpu_seconds(self_) - banner_;
    out.client_cpu_s = client;
    out.server_cpu_s = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_ - client - banner;
  }

 private:
  clockid_t clients_{};
  clockid_t self_{};
  double process_ = 0, client_ = 0, banner_ = 0;
};

// Makes the round's bans; returns when each got its 2xx, indexed by seq - first_seq.
std::vector<clock_type::time_point> make_bans(const bench_round& r) {
  std::vector<clock_type::time_point> acked(static_cast<std::size_t>(r.bans));
  for (int i = 0; i < r.bans; ++i) {
    const std::uint64_t seq =
        r.banner.ban("p" + std::to_string(r.email_counter++) + "@bench.example");
    acked[seq - r.first_seq] = clock_type::now();
    // One ban at a time, spaced so that the fan-out of one ban is measured,
    // not a backlog (1,000 subscribers x 500 bans/s would saturate 2 cores).
    std::this_thread::sleep_for(std::chrono::milliseconds(r.interval_ms));
  }
  return acked;
}

// Adds the sample of each seq that arrived (0 when before the 2xx).
template <class Arrival>
void collect(const bench_round& r, const std::vector<clock_type::time_point>& acked,
             Arrival arrival, round_result& out) {
  for (std::size_t i = 0; i < r.count; ++i) {
    for (std::size_t k = 0; k < acked.size(); ++k) {
      const clock_type::time_point at = arrival(i, k);
      if (at != clock_type::time_point{})
        out.samples.push_back(std::max(0.0, ms(at - acked[k])));
    }
  }
  std::sort(out.samples.begin(), out.samples.end());
}

// The original clients: Beast websocket streams on one io_context thread.
// "missing" counts tracked seqs that never arrived.
round_result run_beast_round(bench_round& r, std::uint16_t port) {
  asio::io_context ioc;
  arrivals got;
  got.first_seq = r.first_seq;
  got.at.assign(r.count, std::vector<clock_type::time_point>(static_cast<std::size_t>(r.bans)));
  std::vector<std::shared_ptr<subscriber>> subs;
  for (std::size_t i = 0; i < r.count; ++i) {
    subs.push_back(std::make_shared<subscriber>(ioc, got, i));
    subs.back()->connect(port, r.first_seq - 1);
    subs.back()->start();
  }
  std::thread reader([&] {
    // Named so that `perf report --sort comm` tells the clients from the server.
    pthread_setname_np(pthread_self(), "bench-clients");
    ioc.run();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // replay and hand-over done
  const cpu_window cpu(reader);
  const auto acked = make_bans(r);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  round_result out;
  cpu.stop(out);
  asio::post(ioc, [&] {
    for (auto& s : subs)
      s->close();
  });
  reader.join();
  collect(
      r, acked, [&](std::size_t i, std::size_t k) { return got.at[i][k]; }, out);
  out.missing = r.count * acked.size() - out.samples.size();
  return out;
}

// The cheap clients (raw_ws_subscribers.hpp) on one epoll thread. "missing"
// counts every seq skipped, repeated or never received.
round_result run_raw_round(bench_round& r, std::uint16_t port) {
  round_result out;
  banlist::bench::raw_ws_subscribers subs(r.first_seq, static_cast<std::size_t>(r.bans));
  out.error = subs.connect(port, r.count, r.first_seq - 1, kAdmin);
  if (!out.error.empty())
    return out;
  std::thread reader([&] {
    pthread_setname_np(pthread_self(), "bench-clients");
    subs.run();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const cpu_window cpu(reader);
  const auto acked = make_bans(r);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  cpu.stop(out);
  subs.stop();
  reader.join();
  collect(
      r, acked, [&](std::size_t i, std::size_t k) { return subs.arrival(i, k); }, out);
  out.missing = subs.missing(r.first_seq + acked.size() - 1);
  out.errors = subs.protocol_errors();
  return out;
}

void print_row(const std::string& kind, std::size_t count, int bans, const round_result& r) {
  const auto& s = r.samples;
  auto pct = [&](double p) {
    return s.empty() ? 0.0 : s[std::min(s.size() - 1, static_cast<std::size_t>(p * s.size()))];
  };
  const double messages = s.empty() ? 1.0 : static_cast<double>(s.size());
  std::printf("%8s %12zu %8d %10.3f %10.3f %10.3f %10llu %8llu %10.2f %10.2f\n", kind.c_str(),
              count, bans, pct(0.50), pct(0.99), s.empty() ? 0.0 : s.back(),
              static_cast<unsigned long long>(r.missing), static_cast<unsigned long long>(r.errors),
              r.server_cpu_s * 1e6 / messages, r.client_cpu_s * 1e6 / messages);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int bans = 200;
  unsigned threads = 1;
  int interval_ms = 2;
  std::vector<std::size_t> counts{1, 100, 1000};
  std::vector<std::string> kinds{"raw"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--bans") {
      bans = std::stoi(value);
    } else if (flag == "--interval-ms") {
      interval_ms = std::stoi(value);
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--subscribers") {
      counts.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');)
        counts.push_back(std::stoul(item));
    } else if (flag == "--clients") {
      kinds.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        if (item != "raw" && item != "beast") {
          std::fprintf(stderr, "--clients takes raw and/or beast, not %s\n", item.c_str());
          return 2;
        }
        kinds.push_back(item);
      }
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const auto data =
      std::filesystem::temp_directory_path() / ("propagation_bench." + std::to_string(::getpid()));
  std::filesystem::create_directories(data);

  banlist::service::service_config ca;
  ca.listen_port = 0;
  ca.data_dir = data.string();
  ca.threads = threads;
  ca.admin_key = kAdmin;
  ca.max_connections = 5000;
  auto a = banlist::service::server::start(ca, {});
  if (!a || !(*a)->wait_ready(std::chrono::seconds(30))) {
    std::fprintf(stderr, "instance A did not start\n");
    return 1;
  }
  banlist::service::service_config cb = ca;
  cb.redis_url = (*a)->embedded_redis()->url();
  auto b = banlist::service::server::start(cb, {});
  if (!b || !(*b)->wait_ready(std::chrono::seconds(30))) {
    std::fprintf(stderr, "instance B did not start\n");
    return 1;
  }
  std::printf(
      "instances: A :%u, B :%u, %u I/O thread(s) each, one redis-server (AOF always); "
      "%d ms between bans\n",
      (*a)->port(), (*b)->port(), threads, interval_ms);
  std::printf("%8s %12s %8s %10s %10s %10s %10s %8s %10s %10s\n", "clients", "subscribers", "bans",
              "p50 ms", "p99 ms", "max ms", "missing", "errors", "srv us/msg", "cli us/msg");

  ban_client banner((*a)->port());
  int email_counter = 0;
  for (const std::string& kind : kinds) {
    for (std::size_t count : counts) {
      const std::uint64_t head =
          banner.ban("warmup" + std::to_string(email_counter++) + "@bench.example");
      bench_round r{banner, email_counter, head + 1, count, bans, interval_ms};
      const round_result result =
          kind == "beast" ? run_beast_round(r, (*b)->port()) : run_raw_round(r, (*b)->port());
      if (!result.error.empty()) {
        std::fprintf(stderr, "%s clients, %zu subscribers: %s\n", kind.c_str(), count,
                     result.error.c_str());
        return 1;
      }
      print_row(kind, count, bans, result);
    }
  }
  (*b)->stop();
  (void)(*b)->wait();
  (*a)->stop();
  (void)(*a)->wait();
  std::filesystem::remove_all(data);
  return 0;
}
