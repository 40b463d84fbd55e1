// tcp_proxy: a small TCP-to-unix-socket proxy that tests put between
// banlistd and Redis to break the connection on purpose: reset every
// connection at once (RST, via SO_LINGER 0), or delay every chunk it
// forwards. Runs its own io_context on its own thread.
//
// Thread-safety: every member may be called from any thread (they post to
// the proxy's thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace banlist::test {

class tcp_proxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to the unix socket.
  explicit tcp_proxy(std::string upstream_unix_path);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // Resets every open connection (both sides); new ones are accepted.
  void reset_all();
  // Holds each forwarded chunk this long before passing it on (0: none).
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  std::uint64_t resets() const noexcept { return resets_; }

 private:
  struct impl;
  // Declared before impl_, which uses them, so they outlive it.
  boost::asio::io_context ioc_;
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<std::uint64_t> resets_{0};
  std::shared_ptr<impl> impl_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace banlist::test
