// Test support: a small blocking HTTP/1.1 client (keep-alive, optional TLS
// without verification) for talking to an in-process banlistd. Every socket
// operation has a 15 s timeout so a broken server fails a test instead of
// hanging it. Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio

#include <simdjson.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace banlist::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool closed = false;                         // server asked to close (Connection: close)

  std::string header(const std::string& lower_name) const;
  // Parses the body; the returned element lives as long as this reply's parser.
  simdjson::dom::element json() const;
  // Shorthand: the error code of an error body ("" if none).
  std::string error_code() const;

 private:
  mutable std::shared_ptr<simdjson::dom::parser> parser_;
};

class http_client {
 public:
  explicit http_client(std::uint16_t port, bool tls = false);
  ~http_client();

  // Sends one request; reconnects first if the last response closed the
  // connection. Throws std::runtime_error on transport failure.
  http_reply request(boost::beast::http::verb method, const std::string& target,
                     const std::string& bearer = "", const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

  http_reply get(const std::string& target, const std::string& bearer = "") {
    return request(boost::beast::http::verb::get, target, bearer);
  }
  http_reply post(const std::string& target, const std::string& bearer, const std::string& body) {
    return request(boost::beast::http::verb::post, target, bearer, body);
  }
  http_reply del(const std::string& target, const std::string& bearer) {
    return request(boost::beast::http::verb::delete_, target, bearer);
  }

  // Sends raw bytes and reads one response (for malformed requests).
  http_reply raw(const std::string& bytes);

  // Connects now (so a test can hold an idle connection).
  void connect();
  bool connected() const noexcept { return connected_; }

 private:
  template <class Stream>
  http_reply exchange(Stream& stream, const std::string* raw_bytes,
                      boost::beast::http::request<boost::beast::http::string_body>* req);

  std::uint16_t port_;
  bool tls_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ssl_ctx_{boost::asio::ssl::context::tls_client};
  std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> ssl_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace banlist::test
