// Test support for the SDK client against a live banlistd: temp storage
// directories, polling waits with deadlines, client configurations, and
// reading the server's view (head, digest, banned set, subscribers).
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "banlist/sdk/client.hpp"
#include "service_fixture.hpp"
#include "stream_support.hpp"

namespace banlist::test {

// A fresh directory under the system temp dir, removed on destruction.
class temp_directory {
 public:
  explicit temp_directory(const std::string& tag) {
    static std::atomic<unsigned> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("banlist-sdk-" + tag + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~temp_directory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Polls `done` every 5 ms until it holds or `timeout` passes.
inline bool wait_for(const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline sdk::client_config client_config_for(std::uint16_t port, const std::string& key,
                                            sdk::client_mode mode,
                                            const std::filesystem::path& dir) {
  sdk::client_config c;
  c.url = "http://127.0.0.1:" + std::to_string(port);
  c.key = key;
  c.mode = mode;
  c.storage_dir = dir;
  c.backoff_initial = std::chrono::milliseconds(50);
  c.backoff_max = std::chrono::milliseconds(500);
  c.long_poll_wait = std::chrono::seconds(1);
  c.request_timeout = std::chrono::seconds(10);
  c.flush_interval = std::chrono::milliseconds(50);
  return c;
}

inline std::unique_ptr<sdk::client> open_client(const sdk::client_config& config) {
  auto c = sdk::client::open(config);
  if (!c)
    throw std::runtime_error("client::open: " + c.error().message());
  return std::move(*c);
}

// The server's digest at `seq` (which must be its head), from the empty
// batch GET /v1/deltas?since=seq answers with.
struct server_point {
  std::uint64_t to = 0;
  std::uint64_t head = 0;
  std::string digest;  // hex
};

inline server_point server_at(http_client& c, const std::string& key, std::uint64_t seq) {
  auto r = c.get("/v1/deltas?since=" + std::to_string(seq) + "&limit=1", key);
  server_point p;
  std::string_view digest;
  if (r.status != 200 || r.json()["to"].get(p.to) || r.json()["head"].get(p.head) ||
      r.json()["digest"].get(digest))
    throw std::runtime_error("deltas: " + std::to_string(r.status) + " " + r.body);
  p.digest = std::string(digest);
  return p;
}

// A service tuned for live tests: quick heartbeats and snapshot rebuilds,
// no polling delay, room for the random histories without a filter rebuild.
inline void fast_service(service::service_config& c) {
  using namespace std::chrono_literals;
  c.heartbeat_interval = 200ms;
  c.deltas_min_wait_s = 0;
  c.filter_capacity = 20000;
  c.snapshot_max_age = 100ms;
}

}  // namespace banlist::test
