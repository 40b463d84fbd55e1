// listener: accepts TCP connections and hands each to a new http_session on
// its own strand (TLS when an ssl::context is given). Over max-connections a
// connection gets a short 503 and is closed.
//
// Thread-safety: the accept loop runs on the listener's strand; stop() may be
// called from any thread.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

namespace banlist::service {

class service_state;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens on host:port. Returns an error message on failure.
  static std::expected<std::shared_ptr<listener>, std::string> open(
      boost::asio::io_context& ioc, service_state& state, const std::string& host,
      std::uint16_t port, std::shared_ptr<boost::asio::ssl::context> tls);

  listener(boost::asio::io_context& ioc, service_state& state,
           std::shared_ptr<boost::asio::ssl::context> tls);

  void start();
  // Stops accepting; open connections are not touched.
  void stop();
  // The bound port (useful with port 0).
  std::uint16_t port() const noexcept { return port_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> refuse(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  service_state& state_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
};

}  // namespace banlist::service
