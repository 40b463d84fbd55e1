#include "tcp_proxy.hpp"

#include <list>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace banlist::test {
namespace asio = boost::asio;
using asio::ip::tcp;
using unix_socket = asio::local::stream_protocol::socket;

// One proxied connection: the client's TCP socket and the upstream socket.
struct proxied {
  tcp::socket client;
  unix_socket upstream;
  proxied(tcp::socket c, asio::io_context& ioc) : client(std::move(c)), upstream(ioc) {}
};

struct tcp_proxy::impl {
  asio::io_context& ioc;
  tcp::acceptor acceptor;
  std::string upstream_path;
  std::atomic<std::int64_t>& delay_ms;
  std::list<std::weak_ptr<proxied>> live;  // touched only on the proxy's thread

  impl(asio::io_context& io, std::string path, std::atomic<std::int64_t>& delay)
      : ioc(io),
        acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        upstream_path(std::move(path)),
        delay_ms(delay) {}

  template <class From, class To>
  asio::awaitable<void> pump(std::shared_ptr<proxied> p, From& from, To& to) {
    char buffer[16384];
    boost::system::error_code ec;
    asio::steady_timer timer(ioc);
    while (true) {
      const std::size_t n = co_await from.async_read_some(
          asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec)
        break;
      if (const auto d = delay_ms.load(); d > 0) {
        timer.expires_after(std::chrono::milliseconds(d));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      co_await asio::async_write(to, asio::buffer(buffer, n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec)
        break;
    }
    p->client.close(ec);
    p->upstream.close(ec);
  }

  asio::awaitable<void> accept_loop() {
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      tcp::socket client =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec)
        break;
      auto p = std::make_shared<proxied>(std::move(client), ioc);
      p->upstream.connect(asio::local::stream_protocol::endpoint(upstream_path), ec);
      if (ec) {
        p->client.close(ec);
        continue;
      }
      live.remove_if([](const auto& w) { return w.expired(); });
      live.push_back(p);
      asio::co_spawn(ioc, pump(p, p->client, p->upstream), asio::detached);
      asio::co_spawn(ioc, pump(p, p->upstream, p->client), asio::detached);
    }
  }
};

tcp_proxy::tcp_proxy(std::string upstream_unix_path)
    : impl_(std::make_shared<impl>(ioc_, std::move(upstream_unix_path), delay_ms_)) {
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(ioc_, impl_->accept_loop(), asio::detached);
  thread_ = std::thread([this] { ioc_.run(); });
}

tcp_proxy::~tcp_proxy() {
  asio::post(ioc_, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  reset_all();
  ioc_.stop();
  thread_.join();
}

void tcp_proxy::reset_all() {
  asio::post(ioc_, [this] {
    for (auto& w : impl_->live) {
      if (auto p = w.lock()) {
        boost::system::error_code ec;
        // SO_LINGER 0: close sends RST, as a broken network would.
        p->client.set_option(asio::socket_base::linger(true, 0), ec);
        p->client.close(ec);
        p->upstream.close(ec);
        ++resets_;
      }
    }
    impl_->live.clear();
  });
}

}  // namespace banlist::test
