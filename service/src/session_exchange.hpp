// session_exchange: http_session's implementation of streamed_exchange on
// its stream (plain or TLS; Beast's test stream in the HTTP fuzzer). Private
// to http_session.cpp.
//
// Thread-safety: lives on the session's strand, used by one handler.
#pragma once

#include <chrono>
#include <limits>
#include <string>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "session_stream.hpp"
#include "streamed_exchange.hpp"

namespace banlist::service {

template <class Stream>
class session_exchange final : public streamed_exchange {
 public:
  using header_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // Takes over `header_parser`, which has read the header only.
  session_exchange(Stream& stream, boost::beast::flat_buffer& buffer, header_parser&& parser,
                   std::chrono::milliseconds read_timeout, std::string request_id)
      : stream_(stream),
        buffer_(buffer),
        parser_(std::move(parser)),
        read_timeout_(read_timeout),
        request_id_(std::move(request_id)) {
    // The body has no size limit: it is never held whole; the handler
    // limits each line.
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    const auto expect = parser_.get()[boost::beast::http::field::expect];
    expects_continue_ = boost::beast::iequals(expect, "100-continue");
    keep_alive_ = parser_.get().keep_alive();
  }

  boost::asio::awaitable<std::expected<std::size_t, std::string>> read_body(
      std::string& out, std::size_t max) override {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    boost::beast::error_code ec;
    if (parser_.is_done() || max == 0)
      co_return 0;
    if (expects_continue_ && !continue_sent_) {
      continue_sent_ = true;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      expire_after(stream_, read_timeout_);
      co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec)
        co_return std::unexpected("write 100 Continue: " + ec.message());
    }
    const std::size_t old = out.size();
    out.resize(old + max);
    std::size_t got = 0;
    while (got == 0 && !parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = out.data() + old;
      body.size = max;
      expire_after(stream_, read_timeout_);
      co_await http::async_read_some(stream_, buffer_, parser_,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer)
        ec = {};
      got = max - parser_.get().body().size;
      if (ec) {
        out.resize(old + got);
        co_return std::unexpected("read body: " + ec.message());
      }
    }
    out.resize(old + got);
    co_return got;
  }

  boost::asio::awaitable<bool> begin_response(boost::beast::http::status status,
                                              std::string_view content_type) override {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    started_ = true;
    status_ = static_cast<unsigned>(status);
    http::response<http::empty_body> res{status, 11};
    res.set(http::field::server, "banlistd");
    res.set(http::field::content_type,
            boost::beast::string_view(content_type.data(), content_type.size()));
    res.set(http::field::cache_control, "no-store");
    res.set("X-Request-Id", request_id_);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    boost::beast::error_code ec;
    expire_after(stream_, read_timeout_);
    co_await http::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
    failed_ = failed_ || static_cast<bool>(ec);
    co_return !failed_;
  }

  boost::asio::awaitable<bool> write_chunk(std::string_view data) override {
    namespace asio = boost::asio;
    if (failed_)
      co_return false;
    if (data.empty())
      co_return true;
    boost::beast::error_code ec;
    expire_after(stream_, read_timeout_);
    co_await asio::async_write(
        stream_, boost::beast::http::make_chunk(asio::buffer(data.data(), data.size())),
        asio::redirect_error(asio::use_awaitable, ec));
    failed_ = failed_ || static_cast<bool>(ec);
    co_return !failed_;
  }

  boost::asio::awaitable<bool> end_response() override {
    namespace asio = boost::asio;
    if (failed_ || ended_)
      co_return !failed_;
    ended_ = true;
    boost::beast::error_code ec;
    expire_after(stream_, read_timeout_);
    co_await asio::async_write(stream_, boost::beast::http::make_chunk_last(),
                               asio::redirect_error(asio::use_awaitable, ec));
    failed_ = failed_ || static_cast<bool>(ec);
    co_return !failed_;
  }

  bool response_started() const noexcept override { return started_; }

  // For the session once the handler is done.
  bool body_done() const noexcept { return parser_.is_done(); }
  bool expects_continue_unsent() const noexcept { return expects_continue_ && !continue_sent_; }
  bool failed() const noexcept { return failed_; }
  bool ended() const noexcept { return ended_; }
  bool keep_alive() const noexcept { return keep_alive_; }
  unsigned status() const noexcept { return status_; }

  // Reads and drops up to `max` more body bytes, so a client still sending
  // sees our response instead of a reset. Returns true if the body ended.
  boost::asio::awaitable<bool> drain(std::size_t max) {
    std::string scratch;
    std::size_t total = 0;
    while (!parser_.is_done() && total < max) {
      scratch.clear();
      auto n = co_await read_body(scratch, 64 * 1024);
      if (!n || *n == 0)
        break;
      total += *n;
    }
    co_return parser_.is_done();
  }

 private:
  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  boost::beast::http::request_parser<boost::beast::http::buffer_body> parser_;
  std::chrono::milliseconds read_timeout_;
  std::string request_id_;
  bool expects_continue_ = false;
  bool continue_sent_ = false;
  bool keep_alive_ = true;
  bool started_ = false;
  bool ended_ = false;
  bool failed_ = false;
  unsigned status_ = 0;
};

}  // namespace banlist::service
