// streamed_exchange: the request body and response of one HTTP exchange,
// read and written piecewise, for routes registered with
// router::add_streamed (POST /v1/bans/import). The session does not read
// such a body before the handler runs; the handler reads it in chunks and
// may answer with a chunked response whose parts it writes as it goes, so
// neither side holds the whole body or response.
//
// A client sending `Expect: 100-continue` gets "100 Continue" at the first
// read_body, so a handler that refuses the request before reading (auth,
// circuit breaker) answers before the body is sent.
//
// Thread-safety: used only on its session's strand, by one handler.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>

namespace banlist::service {

class streamed_exchange {
 public:
  virtual ~streamed_exchange() = default;

  // Appends up to `max` further body bytes to `out`; returns how many, 0
  // once the body has ended. An error (text for the log) on a broken
  // connection or when no byte came within the read deadline.
  virtual boost::asio::awaitable<std::expected<std::size_t, std::string>> read_body(
      std::string& out, std::size_t max) = 0;

  // Sends the response header (chunked transfer encoding). Returns false
  // when the connection failed; later writes then fail too.
  virtual boost::asio::awaitable<bool> begin_response(boost::beast::http::status status,
                                                      std::string_view content_type) = 0;
  // Sends one chunk (empty data is ignored).
  virtual boost::asio::awaitable<bool> write_chunk(std::string_view data) = 0;
  // Sends the last chunk.
  virtual boost::asio::awaitable<bool> end_response() = 0;

  // True once begin_response was called: the handler's returned response is
  // then ignored.
  virtual bool response_started() const noexcept = 0;
};

}  // namespace banlist::service
