// Test support: a real redis-server for one test, in a fresh temp dir.
//
//   banlist::test::redis_server redis;            // unix socket, appendfsync always
//   auto endpoint = redis.endpoint();             // for open_redis_store / banlistd
//   redis.kill9(); redis.restart();               // crash and recover on the same data
//   ::kill(redis.pid(), SIGSTOP);                 // simulate a hung server
//
// The constructor throws std::runtime_error (with the reason, e.g.
// redis-server not installed) because a test cannot run without it; the
// destructor stops the server and deletes the temp dir. Start it from the
// test's own thread (the child dies with the thread that spawned it).
// Not thread-safe: owned by one test.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/redis_process.hpp"
#include "store/store.hpp"

namespace banlist::test {

struct redis_server_options {
  bool unix_socket = true;  // false: TCP on 127.0.0.1, free port
  std::string appendfsync = "always";
  std::vector<std::string> extra_config;
};

class redis_server {
 public:
  explicit redis_server(redis_server_options options = {});
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  const service::redis_endpoint& endpoint() const noexcept { return process_->endpoint(); }
  std::string url() const { return process_->url(); }
  const std::string& unix_path() const noexcept { return process_->endpoint().unix_path; }
  pid_t pid() const noexcept { return process_->pid(); }
  const std::filesystem::path& data_dir() const noexcept { return dir_; }
  bool running() const noexcept { return process_->running(); }

  void kill9() { process_->kill9(); }
  void stop() { process_->stop(); }
  // Starts it again on the same data dir and socket; throws on failure.
  void restart();

 private:
  std::filesystem::path dir_;
  std::optional<service::redis_process> process_;
};

}  // namespace banlist::test
