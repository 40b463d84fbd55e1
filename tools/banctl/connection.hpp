// connection: one open TCP (or TLS) connection to banlistd, shared by the
// blocking client (http_client.cpp) and the full-duplex bulk upload
// (bulk_upload.cpp). Internal to banctl; includes Boost.
//
// Not thread-safe: one owner.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <expected>
#include <optional>
#include <string>

#include "http_client.hpp"

namespace banlist::banctl {

struct connection {
  boost::asio::io_context ioc;
  boost::asio::ssl::context tls_context{boost::asio::ssl::context::tls_client};
  boost::asio::ip::tcp::socket socket{ioc};
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;

  // Runs `f` on the stream the URL asks for (plain socket or TLS stream).
  template <class F>
  decltype(auto) with_stream(F&& f) {
    if (tls)
      return f(*tls);
    return f(socket);
  }
};

// Resolves, connects and (https) handshakes. `timeout` bounds each blocking
// read and write on the socket afterwards (SO_RCVTIMEO / SO_SNDTIMEO).
std::expected<void, transport_error> open_connection(connection& c, const server_url& url,
                                                     std::chrono::seconds timeout);

// "Bearer <key>", or empty without a key.
std::string authorization_value(const std::string& key);

}  // namespace banlist::banctl
