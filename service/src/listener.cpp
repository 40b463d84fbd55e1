#include "listener.hpp"

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http_session.hpp"
#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

listener::listener(asio::io_context& ioc, service_state& state,
                   std::shared_ptr<asio::ssl::context> tls)
    : ioc_(ioc),
      state_(state),
      tls_(std::move(tls)),
      strand_(asio::make_strand(ioc)),
      acceptor_(strand_) {}

std::expected<std::shared_ptr<listener>, std::string> listener::open(
    asio::io_context& ioc, service_state& state, const std::string& host, std::uint16_t port,
    std::shared_ptr<asio::ssl::context> tls) {
  auto self = std::make_shared<listener>(ioc, state, std::move(tls));
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec)
    return std::unexpected("listen address " + host + ": " + ec.message());
  const tcp::endpoint endpoint{address, port};
  auto& a = self->acceptor_;
  if (a.open(endpoint.protocol(), ec); ec)
    return std::unexpected("open: " + ec.message());
  if (a.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return std::unexpected("reuse_address: " + ec.message());
  }
  if (a.bind(endpoint, ec); ec) {
    return std::unexpected("bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return std::unexpected("listen: " + ec.message());
  }
  self->port_ = a.local_endpoint(ec).port();
  return self;
}

void listener::start() {
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->accept_loop(); }, asio::detached);
}

void listener::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

asio::awaitable<void> listener::accept_loop() {
  while (acceptor_.is_open()) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(ioc_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      break;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      log_line(log_level::warning, "accept: " + ec.message());
      asio::steady_timer pause(strand_, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (state_.shutting_down())
      break;
    if (state_.sessions().size() >= state_.config().max_connections) {
      auto executor = socket.get_executor();
      asio::co_spawn(executor, refuse(std::move(socket)), asio::detached);
      continue;
    }
    std::string address;
    if (auto remote = socket.remote_endpoint(ec); !ec)
      address = remote.address().to_string();
    if (tls_) {
      std::make_shared<tls_http_session>(
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls_), state_,
          std::move(address))
          ->start();
    } else {
      std::make_shared<plain_http_session>(beast::tcp_stream(std::move(socket)), state_,
                                           std::move(address))
          ->start();
    }
  }
}

// A plain-text 503 even on a TLS port would be unreadable; there, closing is
// the refusal.
asio::awaitable<void> listener::refuse(tcp::socket socket) {
  beast::error_code ec;
  if (!tls_) {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: 78\r\n\r\n"
        R"({"error":{"code":"too_many_connections","message":"connection limit reached"}})";
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(1));
    co_await asio::async_write(stream, asio::buffer(kBusy.data(), kBusy.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.close();
  } else {
    socket.close(ec);
  }
  state_.metrics().record("-", "refused", 503, std::chrono::nanoseconds(0));
}

}  // namespace banlist::service
