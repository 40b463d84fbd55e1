// transport: the client's HTTP(S) requests and WebSocket connections to one
// banlistd, over plain TCP or TLS (OpenSSL through Asio) as the URL says.
// TLS verifies the certificate chain against the configured trust store
// and the certificate's name against the host (SNI set). Every exchange has
// a deadline and every body a size bound, enforced while reading.
//
// Thread-safety: use from the io_context's thread only.
#pragma once

#include <utility>  // before Boost 1.74 awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "server_url.hpp"

namespace banlist::sdk::detail {

namespace net = boost::asio;

struct http_result {
  std::error_code error;  // transport failure (then status is 0)
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;
};

// One upgraded WebSocket (plain or TLS underneath).
class message_socket {
 public:
  virtual ~message_socket() = default;
  // Reads one whole message (at most the configured bound) into `out`.
  virtual net::awaitable<std::error_code> read(std::string& out) = 0;
  virtual net::awaitable<std::error_code> write(std::string text) = 0;
};

struct websocket_result {
  std::error_code error;
  unsigned status = 0;  // the HTTP status when the upgrade was declined
  // The connection (and TLS) was established: an error is the upgrade's,
  // not the server being unreachable.
  bool reached = false;
  std::optional<std::chrono::seconds> retry_after;
  std::unique_ptr<message_socket> socket;
};

class transport {
 public:
  // `tls` is used when url.tls; it must outlive the transport.
  transport(net::io_context& ioc, server_url url, std::string key, net::ssl::context& tls,
            std::size_t max_message_bytes);

  // One request on a fresh connection. `target` is the path and query
  // (the URL's prefix is added). Bodies above body_limit fail (error set).
  net::awaitable<http_result> request(boost::beast::http::verb verb, std::string target,
                                      std::string body, std::string accept, std::size_t body_limit,
                                      std::chrono::seconds timeout);

  // Connects and upgrades to a WebSocket at `target`.
  net::awaitable<websocket_result> open_websocket(std::string target, std::chrono::seconds timeout);

  const server_url& url() const noexcept { return url_; }

 private:
  net::io_context& ioc_;
  server_url url_;
  std::string authorization_;
  net::ssl::context& tls_;
  std::size_t max_message_bytes_;
};

}  // namespace banlist::sdk::detail
