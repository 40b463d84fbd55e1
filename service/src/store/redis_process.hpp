// redis_process: a child redis-server that banlistd runs in embedded mode
// (no --redis given) and that tests start for themselves. The config file,
// AOF and log live in the data directory; the server listens on a unix
// socket (default) or on 127.0.0.1 at a free TCP port.
//
// The child gets PR_SET_PDEATHSIG(SIGTERM): it dies with the THREAD that
// started it, so start it from a thread that lives as long as the process
// (main, or a test's thread). Not thread-safe: one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace banlist::service {

struct redis_process_options {
  std::filesystem::path data_dir;         // created if missing
  bool unix_socket = true;                // false: TCP on 127.0.0.1
  std::uint16_t port = 0;                 // TCP only; 0 picks a free port
  std::string appendfsync = "always";     // "always", "everysec" or "no"
  std::vector<std::string> extra_config;  // appended verbatim, one directive per line
  std::chrono::milliseconds start_timeout{10000};
  std::string binary = "redis-server";  // looked up on PATH unless it has a '/'
};

class redis_process {
 public:
  // Writes the config, starts redis-server and returns once it answers PING
  // (or an error naming the cause: binary missing, socket path too long,
  // the server exited, no answer in time).
  static std::expected<redis_process, std::string> start(redis_process_options options);

  redis_process(redis_process&& other) noexcept;
  redis_process& operator=(redis_process&& other) noexcept;
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;
  ~redis_process();  // stop()

  // SIGTERM (and SIGCONT, in case it is stopped), then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // SIGKILL at once and reap: a crash, for durability tests.
  void kill9();
  // Starts the server again on the same data dir, socket and port.
  std::expected<void, std::string> restart();

  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }
  const redis_endpoint& endpoint() const noexcept { return endpoint_; }
  // "unix:///path" or "redis://127.0.0.1:port".
  std::string url() const;
  const std::filesystem::path& data_dir() const noexcept { return options_.data_dir; }

 private:
  redis_process() = default;
  std::expected<void, std::string> spawn();
  std::expected<void, std::string> wait_ready();

  redis_process_options options_;
  std::string binary_path_;
  std::filesystem::path config_path_;
  redis_endpoint endpoint_;
  pid_t pid_ = -1;
};

}  // namespace banlist::service
