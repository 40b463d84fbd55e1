// banlistd_process: the real banlistd binary as a child process, for faults
// an in-process server cannot suffer (kill -9, SIGSTOP). It follows an
// existing Redis (--redis) with the test seed and admin key, logs to a file
// in its own temp dir, and keeps its port across restarts so clients can
// reconnect to the same address.
//
// Not thread-safe: one owner (the test's thread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace banlist::test {

class banlistd_process {
 public:
  // Starts banlistd on 127.0.0.1 (a free port) against `redis_url` and waits
  // until /readyz answers 200. Throws std::runtime_error on failure.
  explicit banlistd_process(std::string redis_url, std::vector<std::string> extra_args = {});
  ~banlistd_process();
  banlistd_process(const banlistd_process&) = delete;
  banlistd_process& operator=(const banlistd_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }

  void kill9();            // SIGKILL and reap
  void signal(int signo);  // e.g. SIGSTOP, SIGCONT, SIGTERM
  int wait();              // reaps; returns the exit status (or 128 + signal)
  // Starts it again on the same port; returns without waiting for readiness.
  void restart();
  // Waits until /readyz is 200; returns its body. Throws after `timeout_s`.
  std::string wait_ready(int timeout_s = 30) const;
  std::string log() const;  // what it wrote to stderr

 private:
  void spawn();

  std::string redis_url_;
  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace banlist::test
