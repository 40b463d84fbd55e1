// http_session: one HTTP/1.1 connection (plain TCP or TLS). Reads a request
// within the limits (header size, body size, read deadline), routes it,
// authenticates, awaits the handler and writes the response; repeats while
// keep-alive holds and the connection is not idle past its timeout.
//
// Thread-safety: a session lives on its own strand; everything it does runs
// there. It owns itself through shared_from_this: the coroutine that serves
// the connection holds the last reference. close_when_idle() may be called
// from any thread (it posts to the strand).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "auth.hpp"
#include "read_watchdog.hpp"
#include "request_context.hpp"
#include "session_registry.hpp"
#include "streamed_exchange.hpp"

namespace banlist::service {

class service_state;

template <class Stream>
class http_session : public closable_session,
                     public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(Stream stream, service_state& state, std::string client_address);
  ~http_session() override;

  // Starts serving on the stream's executor (a strand).
  void start();
  void close_when_idle() override;

 private:
  boost::asio::awaitable<void> run();
  // Reads one request into `parser_`. Returns false when the connection is
  // done (closed, timed out, or an error response was already sent).
  boost::asio::awaitable<bool> read_request(bool first);
  boost::asio::awaitable<http_response> respond(const http_request& req, std::string& route_label,
                                                const std::string& request_id,
                                                streamed_exchange* exchange = nullptr,
                                                file_reply* file = nullptr);
  // The answer of a route's immediate function (route::immediate) when it
  // has one for this request and the connection's remembered key may have
  // it; nullopt sends the request through respond(). `now`: when the
  // request arrived (the remembered key's age is checked against it).
  std::optional<http_response> respond_now(const http_request& req, std::string& route_label,
                                           const std::string& request_id,
                                           std::chrono::steady_clock::time_point now);
  // Serves a request of a streamed-body route (see streamed_exchange.hpp).
  // Returns whether the connection may serve another request.
  boost::asio::awaitable<bool> serve_streamed(const std::string& request_id);
  // With `file` holding an open file, the body is that file (the string
  // body is ignored): GET /v1/snapshot.
  boost::asio::awaitable<void> send(http_response res, bool keep_alive, file_reply file = {});
  // Whether `res` goes out through send_now(): a small body on plain TCP.
  bool sends_at_once(const http_response& res, const file_reply& file) const noexcept;
  // Writes `res` (see sends_at_once) with one non-blocking write. Returns
  // true when it is all sent or the connection failed; false: finish_send()
  // writes the rest of wire_.
  bool send_now(http_response& res, bool keep_alive);
  boost::asio::awaitable<void> finish_send();
  // Writes wire_, then `body` (plain TCP only).
  boost::asio::awaitable<void> write_wire(std::string_view body, std::chrono::milliseconds timeout,
                                          boost::beast::error_code& ec);
  boost::asio::awaitable<void> send_error(unsigned version, boost::beast::http::status status,
                                          std::string_view code, std::string_view message);
  boost::asio::awaitable<void> close();
  // The watchdog found a read past its deadline: end that read.
  void read_expired();

  Stream stream_;
  service_state& state_;
  std::string client_address_;
  read_watchdog watchdog_;  // the deadlines of the reads in read_request
  boost::beast::flat_buffer buffer_;
  std::string wire_;           // on the strand: the response being written (plain TCP)
  std::size_t wire_sent_ = 0;  // on the strand: how much of wire_ send_now() wrote
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::uint64_t registry_id_ = 0;
  std::optional<auth_memo> auth_memo_;  // on the strand: the last key this connection used
  bool streamed_ = false;               // on the strand: parser_ holds only the header
  bool idle_ = true;                    // on the strand: waiting for a request's first byte
  bool close_requested_ = false;        // on the strand: shutdown asked us to close
};

using plain_http_session = http_session<boost::beast::tcp_stream>;
using tls_http_session = http_session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

// Returns the client's X-Request-Id if it is a sane token (1-128 characters
// of letters, digits, '.', '_', '-'), else a fresh random one.
std::string request_id_for(std::string_view given);

}  // namespace banlist::service
