// sse_session: one GET /v1/events subscriber (Server-Sent Events, plain or
// TLS), after http_session handed its stream over. It writes the 200 header
// (text/event-stream, Connection: close: the body runs until either side
// closes) and then one event per subscription message:
//
//   id: <last seq>\ndata: {"type":"changes",...}\n\n
//   : {"type":"heartbeat",...}\n\n          (a comment: EventSource ignores it)
//   event: reset\ndata: {"type":"reset",...}\n\n   (then the server closes)
//
// A peer that went away is noticed at the next write (at the latest the next
// heartbeat); each write has a deadline of heartbeat + read timeout.
//
// Thread-safety: strand-confined; deliver(), reset() and close_when_idle()
// may be called from any thread (they post to the strand).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>

#include "hub.hpp"
#include "session_registry.hpp"
#include "subscription_feed.hpp"

namespace banlist::service {

class service_state;

template <class Stream>
class sse_session : public subscriber,
                    public closable_session,
                    public subscription_sink,
                    public std::enable_shared_from_this<sse_session<Stream>> {
 public:
  sse_session(Stream stream, service_state& state, std::string key_id);
  ~sse_session() override;

  // Writes the response header and serves the subscription from `since`.
  void start(std::string request_id, std::uint64_t since, std::optional<std::uint64_t> epoch);

  void deliver(std::shared_ptr<const published_batch> batch) override;
  void reset(sdk::reset_reason reason) override;
  void close_when_idle() override;

  boost::asio::awaitable<bool> send_changes(std::shared_ptr<const std::string> message,
                                            std::uint64_t last_seq) override;
  boost::asio::awaitable<bool> send_heartbeat(std::string message) override;
  boost::asio::awaitable<void> send_reset(std::string message, sdk::reset_reason reason,
                                          std::uint64_t last_seq) override;
  boost::asio::awaitable<void> finish(bool server_error) override;

 private:
  boost::asio::awaitable<void> run(std::string request_id, std::uint64_t since,
                                   std::optional<std::uint64_t> epoch);
  template <class Buffers>
  boost::asio::awaitable<bool> write(const Buffers& buffers);

  Stream stream_;
  service_state& state_;
  std::shared_ptr<subscriber_stats> stats_;
  subscription_feed feed_;
  std::uint64_t hub_id_ = 0;
  std::uint64_t registry_id_ = 0;
};

}  // namespace banlist::service
