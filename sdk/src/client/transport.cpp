#include "transport.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>

namespace banlist::sdk::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  // Delay-seconds only; an HTTP-date is ignored (the backoff applies then).
  unsigned seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size())
    return std::nullopt;
  return std::chrono::seconds(std::min(seconds, 3600u));
}

std::string host_header(const server_url& url) {
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return default_port ? host : host + ":" + url.port;
}

// Resolves and connects the lowest layer of `stream`.
template <typename Stream>
net::awaitable<error_code> connect(Stream& stream, const server_url& url,
                                   std::chrono::seconds timeout) {
  error_code ec;
  tcp::resolver resolver(stream.get_executor());
  auto endpoints = co_await resolver.async_resolve(url.host, url.port,
                                                   net::redirect_error(net::use_awaitable, ec));
  if (ec)
    co_return ec;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(timeout);
  co_await lowest.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

// Sets SNI and host name verification, then shakes hands.
net::awaitable<error_code> handshake_tls(beast::ssl_stream<beast::tcp_stream>& stream,
                                         const server_url& url) {
  error_code ec;
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    co_return error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
  }
  stream.set_verify_mode(net::ssl::verify_peer);
  stream.set_verify_callback(net::ssl::host_name_verification(url.host));
  co_await stream.async_handshake(net::ssl::stream_base::client,
                                  net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

template <typename Stream>
net::awaitable<http_result> exchange(Stream& stream, http::request<http::string_body>& req,
                                     std::size_t body_limit, std::chrono::seconds timeout) {
  http_result out;
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = ec;
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(body_limit);  // checked against Content-Length before reading
  co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = ec;
    co_return out;
  }
  auto& res = parser.get();
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  if (auto it = res.find(http::field::retry_after); it != res.end())
    out.retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
  out.body = std::move(res.body());
  co_return out;
}

template <typename Next>
class websocket_socket final : public message_socket {
 public:
  template <typename... Args>
  explicit websocket_socket(Args&&... args) : ws_(std::forward<Args>(args)...) {}

  websocket::stream<Next>& ws() { return ws_; }

  net::awaitable<std::error_code> read(std::string& out) override {
    beast::flat_buffer buffer;
    error_code ec;
    co_await ws_.async_read(buffer, net::redirect_error(net::use_awaitable, ec));
    if (ec)
      co_return std::error_code(ec);
    if (!ws_.got_text())
      co_return std::make_error_code(std::errc::bad_message);
    out = beast::buffers_to_string(buffer.data());
    co_return std::error_code{};
  }

  net::awaitable<std::error_code> write(std::string text) override {
    error_code ec;
    ws_.text(true);
    co_await ws_.async_write(net::buffer(text), net::redirect_error(net::use_awaitable, ec));
    co_return std::error_code(ec);
  }

 private:
  websocket::stream<Next> ws_;
};

template <typename Next>
net::awaitable<websocket_result> upgrade(websocket_socket<Next>& socket, const server_url& url,
                                         const std::string& target,
                                         const std::string& authorization,
                                         std::size_t max_message_bytes) {
  websocket_result out;
  auto& ws = socket.ws();
  beast::get_lowest_layer(ws).expires_never();  // the websocket's own timeouts take over
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = std::chrono::seconds(60);
  timeouts.keep_alive_pings = true;  // a ping at half the idle time; a dead peer times out
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& req) {
    req.set(http::field::authorization, authorization);
    req.set(http::field::user_agent, "banlist-sdk");
  }));
  ws.read_message_max(max_message_bytes);
  websocket::response_type res;
  error_code ec;
  const std::string host = host_header(url);
  co_await ws.async_handshake(res, host, target, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = ec;
    out.status = res.result_int() == 101 ? 0 : res.result_int();
    if (auto it = res.find(http::field::retry_after); it != res.end())
      out.retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
  }
  co_return out;
}

}  // namespace

transport::transport(net::io_context& ioc, server_url url, std::string key, net::ssl::context& tls,
                     std::size_t max_message_bytes)
    : ioc_(ioc),
      url_(std::move(url)),
      authorization_("Bearer " + key),
      tls_(tls),
      max_message_bytes_(max_message_bytes) {}

net::awaitable<http_result> transport::request(http::verb verb, std::string target,
                                               std::string body, std::string accept,
                                               std::size_t body_limit,
                                               std::chrono::seconds timeout) {
  http::request<http::string_body> req(verb, url_.path_prefix + target, 11);
  req.set(http::field::host, host_header(url_));
  req.set(http::field::authorization, authorization_);
  req.set(http::field::user_agent, "banlist-sdk");
  req.set(http::field::accept, accept);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  http_result out;
  if (url_.tls) {
    beast::ssl_stream<beast::tcp_stream> stream(ioc_, tls_);
    error_code ec = co_await connect(stream, url_, timeout);
    if (!ec)
      ec = co_await handshake_tls(stream, url_);
    if (ec) {
      out.error = ec;
      co_return out;
    }
    out = co_await exchange(stream, req, body_limit, timeout);
  } else {
    beast::tcp_stream stream(ioc_);
    error_code ec = co_await connect(stream, url_, timeout);
    if (ec) {
      out.error = ec;
      co_return out;
    }
    out = co_await exchange(stream, req, body_limit, timeout);
  }
  co_return out;
}

net::awaitable<websocket_result> transport::open_websocket(std::string target,
                                                           std::chrono::seconds timeout) {
  const std::string full = url_.path_prefix + target;
  websocket_result out;
  if (url_.tls) {
    using next = beast::ssl_stream<beast::tcp_stream>;
    auto socket = std::make_unique<websocket_socket<next>>(ioc_, tls_);
    error_code ec = co_await connect(socket->ws(), url_, timeout);
    if (!ec)
      ec = co_await handshake_tls(socket->ws().next_layer(), url_);
    if (ec) {
      out.error = ec;
      co_return out;
    }
    out = co_await upgrade(*socket, url_, full, authorization_, max_message_bytes_);
    out.reached = true;
    if (!out.error)
      out.socket = std::move(socket);
  } else {
    auto socket = std::make_unique<websocket_socket<beast::tcp_stream>>(ioc_);
    error_code ec = co_await connect(socket->ws(), url_, timeout);
    if (ec) {
      out.error = ec;
      co_return out;
    }
    out = co_await upgrade(*socket, url_, full, authorization_, max_message_bytes_);
    out.reached = true;
    if (!out.error)
      out.socket = std::move(socket);
  }
  co_return out;
}

}  // namespace banlist::sdk::detail
