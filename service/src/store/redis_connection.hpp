// redis_connection: one pipelined connection to Redis. Asio owns the socket
// (TCP or a unix socket, through asio::generic::stream_protocol); hiredis
// only encodes commands and decodes replies (see resp.hpp).
//
// Replies arrive in request order, so the connection keeps a FIFO of pending
// commands and writes new ones without waiting for earlier replies. Every
// command carries a deadline. When any deadline passes or the link drops,
// EVERY pending command completes with store_errc::outcome_unknown, the
// socket closes and the connection reconnects with exponential backoff,
// re-running AUTH, SELECT and SCRIPT LOAD. While it is not connected,
// commands complete at once with store_errc::unavailable and are never sent.
//
// Thread-safety: all state lives on an internal strand. execute() and
// execute_pipeline() may be awaited from any executor; the awaiting
// coroutine resumes on its own executor. The connection runs until close()
// (the reconnect loop keeps it alive until then). If its io_context is
// destroyed first, pending commands are dropped with it, never completed,
// as the context drops its own queued handlers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "store/resp.hpp"
#include "store/store.hpp"

namespace banlist::service {

class redis_connection : public std::enable_shared_from_this<redis_connection> {
 public:
  using command = std::vector<std::string>;
  using clock = std::chrono::steady_clock;

  struct config {
    redis_endpoint endpoint;
    // Deadline for connecting and for the AUTH/SELECT/SCRIPT LOAD handshake.
    std::chrono::milliseconds handshake_timeout{2000};
    std::chrono::milliseconds reconnect_min{50};
    std::chrono::milliseconds reconnect_max{2000};
    std::vector<std::string> scripts;  // SCRIPT LOADed after every connect
    // High availability (sentinel_resolver): when set, asked for the
    // endpoint before every connect, so a reconnect follows a failover.
    std::function<boost::asio::awaitable<store_result<redis_endpoint>>()> discover;
    // The handshake checks ROLE is "master"; an error reply saying the
    // server is no longer the primary (READONLY, UNBLOCKED) drops the link
    // after it is delivered, so the next connect re-discovers.
    bool require_primary = false;
  };

  // Creates the connection and starts its connect/reconnect loop.
  static std::shared_ptr<redis_connection> create(boost::asio::any_io_executor executor,
                                                  config cfg);

  ~redis_connection();

  // Stops for good: pending commands complete with outcome_unknown, later
  // ones with unavailable, and no reconnect happens. Safe from any thread.
  void close();
  // The same, completing once the pending commands have been failed (their
  // handlers are posted to their own executors by then).
  boost::asio::awaitable<void> close_and_wait();

  // Returns once connected, or unavailable (with the last connect error)
  // after `timeout`.
  boost::asio::awaitable<store_result<void>> wait_connected(std::chrono::milliseconds timeout);

  // Sends one command. An error reply is returned as a value (redis_value
  // holding redis_error_reply), so callers can inspect e.g. NOSCRIPT.
  boost::asio::awaitable<store_result<redis_value>> execute(command cmd,
                                                            std::chrono::milliseconds timeout);

  // Sends all commands in one write; returns their replies in order, or one
  // error for the whole batch. Error replies are values.
  boost::asio::awaitable<store_result<std::vector<redis_value>>> execute_pipeline(
      std::vector<command> cmds, std::chrono::milliseconds timeout);

  bool connected() const noexcept { return connected_flag_.load(std::memory_order_acquire); }

  // Sentinel announced that the primary moved to host:port: drops the link
  // unless it already goes there, and cuts a pending backoff short.
  void follow_switch(std::string host, std::uint16_t port);

  // Number of successful connects so far (for tests and metrics).
  std::uint64_t connect_count() const noexcept {
    return connect_count_.load(std::memory_order_relaxed);
  }

 private:
  using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
  using socket_type = boost::asio::generic::stream_protocol::socket;
  using replies = std::vector<redis_value>;
  using replies_handler = std::move_only_function<void(store_result<replies>)>;

  enum class state { disconnected, handshaking, connected };

  struct pending_command {
    std::size_t expected = 0;
    replies received;
    clock::time_point deadline;
    replies_handler done;
  };

  redis_connection(boost::asio::any_io_executor executor, config cfg);

  static boost::asio::awaitable<store_result<redis_value>> execute_one(
      std::shared_ptr<redis_connection> self, command cmd, std::chrono::milliseconds timeout);
  boost::asio::awaitable<store_result<replies>> submit(std::vector<command> cmds,
                                                       std::chrono::milliseconds timeout,
                                                       bool internal);

  static boost::asio::awaitable<void> run(std::shared_ptr<redis_connection> self);
  boost::asio::awaitable<store_result<void>> connect_once();
  boost::asio::awaitable<store_result<void>> handshake();

  // All of the following run on strand_.
  void enqueue(std::vector<command> cmds, clock::time_point deadline, replies_handler done,
               bool internal);
  void start_write();
  void start_read();
  void on_reply(redis_value value);
  void arm_deadline(clock::time_point deadline);
  void on_deadline_timer();
  void fail_connection(failure_kind kind, const std::string& detail);
  void close_on_strand();
  void set_last_error(std::string text);
  std::string last_error() const;

  strand_type strand_;
  config config_;
  redis_endpoint endpoint_;  // guarded by strand_: where the current link goes

  // guarded by strand_:
  std::optional<socket_type> socket_;
  state state_ = state::disconnected;
  bool closed_ = false;
  std::uint64_t generation_ = 0;  // bumps on each connect and each failure
  std::unique_ptr<resp_decoder> decoder_;
  std::deque<pending_command> pending_;
  std::string write_buffer_;
  bool writing_ = false;
  boost::asio::steady_timer deadline_timer_;
  std::optional<clock::time_point> deadline_armed_at_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer disconnect_signal_;  // cancelled when the link fails

  std::atomic<bool> connected_flag_{false};
  std::atomic<std::uint64_t> connect_count_{0};
  mutable std::mutex last_error_mutex_;
  std::string last_error_;  // guarded by last_error_mutex_
};

}  // namespace banlist::service
