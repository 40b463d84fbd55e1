// Test support: a blocking WebSocket client (Beast) for GET /v1/stream, with
// a deadline on every operation so a broken server fails a test instead of
// hanging it; and helpers to decode what the stream sends.
// Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace banlist::test {

class ws_client {
 public:
  // Connects and upgrades `target` with the bearer key. `receive_buffer`
  // (SO_RCVBUF, bytes, 0: OS default) makes a slow reader's buffers small.
  // Throws std::runtime_error when the upgrade fails (status() says why).
  ws_client(std::uint16_t port, const std::string& target, const std::string& bearer,
            int receive_buffer = 0);

  // Returns the next message, or nullopt once the server closed the
  // connection (close_code() / close_reason() then say how). Throws on timeout.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void send(const std::string& text);
  // Drops the TCP connection without a close handshake (a crash or a network cut).
  void drop();

  unsigned close_code() const;
  std::string close_reason() const;

 private:
  template <class Op>
  boost::system::error_code run(Op&& op, std::chrono::milliseconds timeout);

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

// Upgrade attempt that is expected to fail: returns the HTTP status.
unsigned ws_upgrade_status(std::uint16_t port, const std::string& target,
                           const std::string& bearer);

}  // namespace banlist::test
