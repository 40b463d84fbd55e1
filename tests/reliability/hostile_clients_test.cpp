// Hostile clients against a real banlistd: request smuggling and malformed
// framing get 400 and a closed connection; slow headers and slow bodies are
// cut at the read deadline while a normal client keeps its latency; 5,000
// idle connections cost no CPU and block nobody; running out of file
// descriptors neither spins nor stops the clients already connected.
// (Oversized headers and bodies, the connection limit, oversized WebSocket
// messages, slow subscribers and graceful shutdown are in tests/service.)
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "banlistd_process.hpp"
#include "redis_server.hpp"
#include "service_fixture.hpp"

namespace banlist::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

const std::string kFp = "0123456789abcdef0123456789abcdef";

// Sends `bytes` on a fresh connection and returns everything the server
// sends until it closes (or 5 s pass, which fails the caller's checks).
std::string send_and_drain(std::uint16_t port, const std::string& bytes, bool* closed) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(bytes));
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  socket.non_blocking(true);
  *closed = false;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    if (ec) {
      *closed = true;  // EOF or reset: the server closed
      break;
    }
    received.append(chunk, n);
  }
  return received;
}

// Milliseconds of CPU (user + system) process `pid` has used.
double cpu_ms(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15)
      ticks += std::stod(field);
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

// The slowest of `n` sequential checks on one keep-alive connection, ms.
double slowest_check_ms(std::uint16_t port, const std::string& key, int n) {
  http_client c(port);
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto reply = c.get("/v1/check?fp=" + kFp, key);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (reply.status != 200)
      return 1e9;
    worst = std::max(worst, ms);
  }
  return worst;
}

}  // namespace

TEST_CASE("smuggling and malformed framing: 400 and the connection closed",
          "[reliability][http][redis]") {
  service_fixture f;
  const auto partner = f.issue_key("partner");
  const std::string auth = "Authorization: Bearer " + partner + "\r\n";
  const std::string target = "POST /v1/check HTTP/1.1\r\nHost: x\r\n" + auth;
  const std::string body = R"({"items":[{"fp":")" + kFp + R"("}]})";
  const std::string smuggled = "GET /v1/keys HTTP/1.1\r\nHost: x\r\n\r\n";
  struct attempt {
    const char* what;
    std::string bytes;
  };
  const std::vector<attempt> attempts = {
      {"Content-Length and Transfer-Encoding together",
       target + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + "0\r\n\r\n" + smuggled},
      {"two different Content-Lengths", target + "Content-Length: " + std::to_string(body.size()) +
                                            "\r\nContent-Length: 5\r\n\r\n" + body + smuggled},
      {"a chunk size that is not hex",
       target + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n"},
      {"a chunk size overflowing 64 bits",
       target + "Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nx\r\n0\r\n\r\n"},
      {"a negative Content-Length", target + "Content-Length: -1\r\n\r\n" + body},
      {"a space before the colon", target + "Content-Length : 2\r\n\r\n{}"},
      {"a bare LF line ending", "GET /healthz HTTP/1.1\nHost: x\n\n"},
  };
  for (const auto& a : attempts) {
    CAPTURE(a.what);
    bool closed = false;
    const std::string reply = send_and_drain(f.port(), a.bytes, &closed);
    CHECK(reply.starts_with("HTTP/1.1 400"));
    CHECK(closed);
    // Exactly one response: the smuggled request behind it was never run.
    CHECK(reply.find("HTTP/1.1", 1) == std::string::npos);
  }
}

TEST_CASE("slow headers and slow bodies are cut at the read deadline, checks keep their latency",
          "[reliability][http][redis]") {
  service_fixture f([](service::service_config& c) { c.read_timeout = 1500ms; });
  const auto partner = f.issue_key("partner");
  const double quiet_ms = slowest_check_ms(f.port(), partner, 200);

  asio::io_context ioc;
  std::vector<tcp::socket> slow;
  const std::string header = "GET /v1/check?fp=" + kFp + " HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string body_start = "POST /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                 partner + "\r\nContent-Length: 1000\r\n\r\n{";
  for (int i = 0; i < 100; ++i) {
    slow.emplace_back(ioc);
    slow.back().connect({asio::ip::make_address("127.0.0.1"), f.port()});
    asio::write(slow.back(), asio::buffer(i % 2 ? header : body_start));
    slow.back().non_blocking(true);
  }
  // Dribble a byte every 200 ms per connection while a normal client checks.
  std::atomic<bool> done{false};
  double busy_ms = 0;
  std::thread normal([&] {
    busy_ms = slowest_check_ms(f.port(), partner, 200);
    done = true;
  });
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::optional<std::chrono::steady_clock::duration>> cut_after(slow.size());
  while (std::chrono::steady_clock::now() - started < 5s) {
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (cut_after[i])
        continue;
      boost::system::error_code ec;
      char byte = 'a';
      char sink[512];
      const std::size_t n = slow[i].read_some(asio::buffer(sink), ec);
      if (!ec && n > 0)
        continue;  // a 408-style answer may come before the close
      if (ec && ec != asio::error::would_block) {
        cut_after[i] = std::chrono::steady_clock::now() - started;
        continue;
      }
      slow[i].write_some(asio::buffer(&byte, 1), ec);
      if (ec && ec != asio::error::would_block)
        cut_after[i] = std::chrono::steady_clock::now() - started;
    }
    std::this_thread::sleep_for(200ms);
  }
  normal.join();
  REQUIRE(done);
  for (std::size_t i = 0; i < slow.size(); ++i) {
    CAPTURE(i);
    REQUIRE(cut_after[i].has_value());
    // Cut at the 1.5 s deadline (plus a tick of this loop and scheduling).
    CHECK(*cut_after[i] >= 1400ms);
    CHECK(*cut_after[i] < 3500ms);
  }
  WARN("slowest check: " << quiet_ms << " ms quiet, " << busy_ms << " ms with 100 slow clients");
  CHECK(busy_ms < std::max(250.0, 5 * quiet_ms));
}

// [no_sanitizer]: a CPU threshold set for the optimised build; under ASan at
// -O0 accepting the 5,000 connections outlasts the settle time (2,193 of
// 5,000 registered, 1,003 ms CPU in the measured 2 s in one run), so the
// ASan stage skips it and the main build keeps the threshold.
TEST_CASE("5,000 idle connections: no CPU spent, other clients served",
          "[reliability][http][redis][no_sanitizer]") {
  service_fixture f([](service::service_config& c) { c.read_timeout = 60s; });
  const auto partner = f.issue_key("partner");
  asio::io_context ioc;
  std::vector<tcp::socket> idle;
  idle.reserve(5000);
  for (int i = 0; i < 5000; ++i) {
    idle.emplace_back(ioc);
    idle.back().connect({asio::ip::make_address("127.0.0.1"), f.port()});
  }
  std::this_thread::sleep_for(500ms);  // let the server accept them all
  CHECK(f.server().state().sessions().size() >= 5000);
  const double before = self_cpu_ms();  // the server runs in this process
  std::this_thread::sleep_for(2s);
  const double spent = self_cpu_ms() - before;
  WARN("CPU over 2 s with 5,000 idle connections: " << spent << " ms");
  CHECK(spent < 300);
  CHECK(slowest_check_ms(f.port(), partner, 50) < 250);
}

// [no_sanitizer]: the sanitizer runtime needs descriptors of its own (UBSan's
// vptr check probes memory through a pipe, the symbolizer through a
// socketpair); with none left it reports a valid object as "invalid vptr"
// (seen on the snapshot builder's std::thread), so the ASan stage skips this
// case and the main build runs it.
TEST_CASE("out of file descriptors: no spin, connected clients keep working, recovery",
          "[reliability][http][redis][no_sanitizer]") {
  redis_server redis;
  banlistd_process instance(redis.url());
  http_client admin(instance.port());
  auto key = admin.post("/v1/keys", kAdminKey, R"({"role":"partner","name":"fd"})");
  REQUIRE(key.status == 201);
  const std::string partner = json_string(key, "/key");
  http_client connected(instance.port());
  REQUIRE(connected.get("/v1/check?fp=" + kFp, partner).status == 200);

  // Lower its soft descriptor limit, then open more connections than it can accept.
  rlimit original{};
  REQUIRE(prlimit(instance.pid(), RLIMIT_NOFILE, nullptr, &original) == 0);
  rlimit low{200, original.rlim_max};
  REQUIRE(prlimit(instance.pid(), RLIMIT_NOFILE, &low, nullptr) == 0);
  asio::io_context ioc;
  std::vector<tcp::socket> flood;
  for (int i = 0; i < 400; ++i) {
    flood.emplace_back(ioc);
    flood.back().connect({asio::ip::make_address("127.0.0.1"), instance.port()});
  }
  std::this_thread::sleep_for(500ms);
  const double before = cpu_ms(instance.pid());
  std::this_thread::sleep_for(2s);
  const double spent = cpu_ms(instance.pid()) - before;
  WARN("banlistd CPU over 2 s at the descriptor limit: " << spent << " ms");
  CHECK(spent < 500);  // backs off instead of spinning on accept
  CHECK(connected.get("/v1/check?fp=" + kFp, partner).status == 200);
  CHECK(instance.log().find("accept: Too many open files") != std::string::npos);

  flood.clear();  // the descriptors come back
  REQUIRE(prlimit(instance.pid(), RLIMIT_NOFILE, &original, nullptr) == 0);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool recovered = false;
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    try {
      http_client fresh(instance.port());
      recovered = fresh.get("/v1/check?fp=" + kFp, partner).status == 200;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  CHECK(recovered);
}

}  // namespace banlist::test
