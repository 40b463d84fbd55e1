// sentinel_resolver: finds the current Redis primary through Redis Sentinel
// (SENTINEL get-master-addr-by-name, asking each sentinel in turn with a
// deadline) and watches the sentinels' +switch-master channel, so that the
// store's connections re-discover the primary as soon as a failover is
// announced instead of waiting for their link to fail.
//
// The resolver only says where the primary is; redis_connection verifies it
// (ROLE must answer "master" in the handshake) and drops the link when the
// server stops being the primary (READONLY, UNBLOCKED), which brings it back
// here through its reconnect loop.
//
// Thread-safety: resolve() may be awaited from any executor, concurrently;
// watch() and close() may be called from any thread. Internal state lives on
// a strand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include "store/store.hpp"

namespace banlist::service {

// Parses "host:port,host:port,..." (IPv6 as "[::1]:26379"). Every entry needs
// an explicit port; an empty list is an error.
std::expected<std::vector<sentinel_address>, std::string> parse_sentinel_list(
    std::string_view text);

class sentinel_resolver : public std::enable_shared_from_this<sentinel_resolver> {
 public:
  // `base` supplies what Sentinel does not know: the primary's db and password.
  static std::shared_ptr<sentinel_resolver> create(boost::asio::any_io_executor executor,
                                                   sentinel_options options, redis_endpoint base);

  // Returns the primary's endpoint as the first sentinel that answers knows
  // it. Starts with the sentinel that answered last. Errors (store_errc::
  // unavailable, nothing was sent to Redis): every sentinel unreachable or
  // too slow, or none knows the master name; the message names each
  // sentinel's answer.
  boost::asio::awaitable<store_result<redis_endpoint>> resolve();

  // Like resolve(), for a healthy replica of the master (SENTINEL replicas:
  // not down, not disconnected, link to the primary up).
  boost::asio::awaitable<store_result<redis_endpoint>> resolve_replica();

  // Subscribes to +switch-master on one sentinel at a time (the next one
  // when it fails or goes silent) and calls `on_switch` for every switch of
  // our master, with the new primary's host and port. Call once; runs until
  // close().
  using switch_handler = std::function<void(const std::string& host, std::uint16_t port)>;
  void watch(switch_handler on_switch);

  // Ends the watch. Safe from any thread; idempotent.
  void close();

  // Switches of our master seen on the channel (for tests and metrics).
  std::uint64_t switches_seen() const noexcept {
    return switches_seen_.load(std::memory_order_relaxed);
  }

  // True while the watch holds a subscription (for tests).
  bool watching() const noexcept { return watching_.load(std::memory_order_acquire); }

 private:
  sentinel_resolver(boost::asio::any_io_executor executor, sentinel_options options,
                    redis_endpoint base);

  static boost::asio::awaitable<store_result<redis_endpoint>> resolve_from(
      std::shared_ptr<sentinel_resolver> self, bool replica);
  static boost::asio::awaitable<void> watch_loop(std::shared_ptr<sentinel_resolver> self,
                                                 switch_handler on_switch);

  boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  sentinel_options options_;
  redis_endpoint base_;
  std::atomic<std::size_t> preferred_{0};  // index of the sentinel that answered last
  std::atomic<bool> closed_{false};
  std::atomic<bool> watching_{false};
  std::atomic<std::uint64_t> switches_seen_{0};
  std::function<void()> close_watch_;  // guarded by strand_: closes the watch socket
};

}  // namespace banlist::service
