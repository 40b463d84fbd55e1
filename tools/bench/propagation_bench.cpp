// propagation_bench: how long a ban takes from its 2xx on instance A to its
// arrival at WebSocket subscribers of instance B (GET /v1/stream), with 1,
// 100 and 1,000 subscribers. Starts an embedded redis-server (through
// instance A) and two in-process banlistd instances on it, then for each
// subscriber count makes sequential bans on A and timestamps, per
// subscriber, the first message carrying each ban's seq.
//
//   propagation_bench [--bans N] [--subscribers 1,100,1000] [--threads T]
//                     [--interval-ms M]   (pause after each ban's 2xx, default 2)
//
// Prints p50/p99/max per subscriber count. A ban's message may reach B's
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

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

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

}  // namespace

int main(int argc, char** argv) {
  int bans = 200;
  unsigned threads = 1;
  int interval_ms = 2;
  std::vector<std::size_t> counts{1, 100, 1000};
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
  std::printf("%12s %8s %10s %10s %10s %10s\n", "subscribers", "bans", "p50 ms", "p99 ms", "max ms",
              "missing");

  ban_client banner((*a)->port());
  int email_counter = 0;
  for (std::size_t count : counts) {
    const std::uint64_t head =
        banner.ban("warmup" + std::to_string(email_counter++) + "@bench.example");
    asio::io_context ioc;
    arrivals got;
    got.first_seq = head + 1;
    got.at.assign(count, std::vector<clock_type::time_point>(static_cast<std::size_t>(bans)));
    std::vector<std::shared_ptr<subscriber>> subs;
    for (std::size_t i = 0; i < count; ++i) {
      subs.push_back(std::make_shared<subscriber>(ioc, got, i));
      subs.back()->connect((*b)->port(), head);
      subs.back()->start();
    }
    std::thread reader([&] { ioc.run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // replay and hand-over done
    std::vector<clock_type::time_point> acked(static_cast<std::size_t>(bans));
    for (int i = 0; i < bans; ++i) {
      const std::uint64_t seq =
          banner.ban("p" + std::to_string(email_counter++) + "@bench.example");
      acked[seq - got.first_seq] = clock_type::now();
      // One ban at a time, spaced so that the fan-out of one ban is measured,
      // not a backlog (1,000 subscribers x 500 bans/s would saturate 2 cores).
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    asio::post(ioc, [&] {
      for (auto& s : subs)
        s->close();
    });
    reader.join();
    std::vector<double> samples;
    std::size_t missing = 0;
    for (std::size_t i = 0; i < count; ++i) {
      for (int k = 0; k < bans; ++k) {
        const auto at = got.at[i][static_cast<std::size_t>(k)];
        if (at == clock_type::time_point{}) {
          ++missing;
          continue;
        }
        samples.push_back(std::max(0.0, ms(at - acked[static_cast<std::size_t>(k)])));
      }
    }
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) {
      return samples.empty() ? 0.0
                             : samples[std::min(samples.size() - 1,
                                                static_cast<std::size_t>(p * samples.size()))];
    };
    std::printf("%12zu %8d %10.3f %10.3f %10.3f %10zu\n", count, bans, pct(0.50), pct(0.99),
                samples.empty() ? 0.0 : samples.back(), missing);
    std::fflush(stdout);
  }
  (*b)->stop();
  (void)(*b)->wait();
  (*a)->stop();
  (void)(*a)->wait();
  std::filesystem::remove_all(data);
  return 0;
}
