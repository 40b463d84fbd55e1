// websocket_session: one GET /v1/stream subscriber over WebSocket (plain or
// TLS), after http_session handed its stream over. Text frames carry the
// subscription messages of docs/protocol.md (section 3); the client may send
// {"op":"ack","seq":N} (at most 4 KiB per message). Beast's timeout settings
// ping an idle peer and drop a dead one. The session registers with the hub
// (live batches) and the session registry (max-connections, shutdown: a
// reset "shutdown" and close 1001 with the last seq in the close reason).
//
// Thread-safety: strand-confined, like http_session; deliver(), reset() and
// close_when_idle() may be called from any thread (they post to the strand).
// Two coroutines share the strand: the feed (the only writer, including the
// close) and the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "hub.hpp"
#include "request_context.hpp"
#include "session_registry.hpp"
#include "subscription_feed.hpp"

namespace banlist::service {

class service_state;

template <class Stream>
class websocket_session : public subscriber,
                          public closable_session,
                          public subscription_sink,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
 public:
  // Largest message a client may send (an ack is ~30 bytes).
  static constexpr std::size_t kInboundLimit = 4096;

  websocket_session(Stream stream, service_state& state, std::string key_id);
  ~websocket_session() override;

  // Completes the upgrade of `req` and serves the subscription from `since`.
  void start(http_request req, std::uint64_t since, std::optional<std::uint64_t> epoch);

  void deliver(std::shared_ptr<const published_batch> batch) override;
  void reset(sdk::reset_reason reason) override;
  void close_when_idle() override;

  boost::asio::awaitable<bool> send_changes(std::shared_ptr<const std::string> message,
                                            std::uint64_t last_seq) override;
  bool start_changes(std::shared_ptr<const std::string> message, std::uint64_t last_seq) override;
  boost::asio::awaitable<bool> send_heartbeat(std::string message) override;
  boost::asio::awaitable<void> send_reset(std::string message, sdk::reset_reason reason,
                                          std::uint64_t last_seq) override;
  boost::asio::awaitable<void> finish(bool server_error) override;

 private:
  boost::asio::awaitable<void> run(http_request req, std::uint64_t since,
                                   std::optional<std::uint64_t> epoch);
  boost::asio::awaitable<void> read_loop();

  boost::beast::websocket::stream<Stream> ws_;
  service_state& state_;
  std::shared_ptr<subscriber_stats> stats_;
  subscription_feed feed_;
  std::uint64_t hub_id_ = 0;
  std::uint64_t registry_id_ = 0;
};

}  // namespace banlist::service
