#include "ws_test_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>

#include "http_client.hpp"

namespace banlist::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

template <class Op>
boost::system::error_code ws_client::run(Op&& op, std::chrono::milliseconds timeout) {
  boost::system::error_code result;
  bool done = false;
  op([&](boost::system::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc_.restart();
  ioc_.run_for(timeout);
  if (!done) {
    beast::get_lowest_layer(ws_).socket().close();
    ioc_.restart();
    ioc_.run();
    throw std::runtime_error("ws_client: operation timed out");
  }
  return result;
}

ws_client::ws_client(std::uint16_t port, const std::string& target, const std::string& bearer,
                     int receive_buffer)
    : ws_(ioc_) {
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.socket().open(asio::ip::tcp::v4());
  if (receive_buffer > 0)
    tcp.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  const asio::ip::tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  auto ec = run([&](auto handler) { tcp.socket().async_connect(server, handler); },
                std::chrono::seconds(15));
  if (ec)
    throw std::runtime_error("ws_client connect: " + ec.message());
  ws_.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
    if (!bearer.empty())
      req.set(beast::http::field::authorization, "Bearer " + bearer);
  }));
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  websocket::response_type res;
  ec = run([&](auto handler) { ws_.async_handshake(res, "127.0.0.1", target, handler); },
           std::chrono::seconds(15));
  if (ec) {
    throw std::runtime_error("ws_client handshake: " + ec.message() + " (status " +
                             std::to_string(res.result_int()) + ": " + res.body() + ")");
  }
}

std::optional<std::string> ws_client::read(std::chrono::milliseconds timeout) {
  buffer_.consume(buffer_.size());
  auto ec = run([&](auto handler) { ws_.async_read(buffer_, handler); }, timeout);
  if (ec)
    return std::nullopt;
  return beast::buffers_to_string(buffer_.data());
}

void ws_client::send(const std::string& text) {
  ws_.text(true);
  auto ec = run([&](auto handler) { ws_.async_write(asio::buffer(text), handler); },
                std::chrono::seconds(15));
  if (ec)
    throw std::runtime_error("ws_client send: " + ec.message());
}

void ws_client::drop() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

unsigned ws_client::close_code() const {
  return static_cast<unsigned>(ws_.reason().code);
}

std::string ws_client::close_reason() const {
  return std::string(ws_.reason().reason.c_str());
}

unsigned ws_upgrade_status(std::uint16_t port, const std::string& target,
                           const std::string& bearer) {
  // A refused upgrade is an ordinary HTTP response: read it with http_client.
  http_client c(port);
  const std::map<std::string, std::string> upgrade{
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
      {"Sec-WebSocket-Version", "13"}};
  return c.request(beast::http::verb::get, target, bearer, "", upgrade).status;
}

}  // namespace banlist::test
