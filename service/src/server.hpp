// server: one running banlistd — the io_context and its threads, the
// listener, the store (opened in the background, with an embedded
// redis-server when no --redis is given), the filter and its follower, and
// graceful shutdown. main() and the integration tests both use it.
//
// Thread-safety: start() and wait() from one owning thread; stop() from any
// thread (a signal handler runs it on the io_context).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "change_follower.hpp"
#include "config.hpp"
#include "listener.hpp"
#include "service_state.hpp"
#include "store/redis_process.hpp"

namespace banlist::service {

class server {
 public:
  struct options {
    bool handle_signals = false;  // SIGTERM/SIGINT start a graceful shutdown
  };

  // Starts the embedded redis-server if needed (synchronously, on the
  // calling thread, which must outlive the server), binds the listener and
  // starts the I/O threads. Connecting to Redis and loading the filter go on
  // in the background; /readyz says when they are done.
  static std::expected<std::unique_ptr<server>, std::string> start(service_config config,
                                                                   options opts);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();  // stop() + wait()

  std::uint16_t port() const noexcept { return port_; }
  bool tls() const noexcept { return tls_; }
  service_state& state() noexcept { return *state_; }
  // The embedded redis-server, if this server started one.
  redis_process* embedded_redis() noexcept { return redis_ ? &*redis_ : nullptr; }

  // Begins a graceful shutdown: stop accepting, /readyz 503, finish requests
  // in flight, close idle connections; after shutdown_timeout, cut the rest.
  void stop();

  // Returns true once the filter is loaded and Redis connected, false at the
  // timeout or when the server stopped.
  bool wait_ready(std::chrono::milliseconds timeout);

  // Blocks until the server has stopped, then stops the embedded Redis.
  // Returns the error that stopped it, if one did (e.g. a seed mismatch).
  std::expected<void, std::string> wait();

 private:
  explicit server(service_config config);
  boost::asio::awaitable<void> connect_store();
  boost::asio::awaitable<void> drain();
  boost::asio::awaitable<void> close_store();
  void fail(std::string message);

  std::unique_ptr<service_state> state_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::optional<boost::asio::signal_set> signals_;
  std::shared_ptr<listener> listener_;
  std::shared_ptr<change_follower> follower_;
  std::optional<redis_process> redis_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::once_flag stop_once_;
  std::mutex mutex_;
  std::optional<std::string> fatal_;  // guarded by mutex_
  // The store from the moment it is opened (before state_ publishes it), so
  // a shutdown during the start-up's first commands still closes it.
  std::shared_ptr<store> opened_;  // guarded by mutex_
  bool waited_ = false;            // owner thread only
};

}  // namespace banlist::service
