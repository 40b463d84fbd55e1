#include "store/sentinel_resolver.hpp"

#include <array>
#include <charconv>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "store/record_codec.hpp"
#include "store/redis_connection.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

std::string describe(const sentinel_address& a) {
  return (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" +
         std::to_string(a.port);
}

store_error unavailable(std::string text) {
  return store_error{store_errc::unavailable, std::move(text)};
}

// Connects `socket` to `addr` or gives up after `timeout`.
asio::awaitable<bool> connect_within(asio::ip::tcp::socket& socket, const sentinel_address& addr,
                                     std::chrono::milliseconds timeout) {
  auto executor = socket.get_executor();
  asio::steady_timer deadline(executor, timeout);
  bool timed_out = false;
  deadline.async_wait([&socket, &timed_out](boost::system::error_code ec) {
    if (ec)
      return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(executor);
  auto results = co_await resolver.async_resolve(addr.host, std::to_string(addr.port),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !timed_out) {
    ec = asio::error::host_not_found;
    for (const auto& entry : results) {
      if (timed_out)
        break;
      boost::system::error_code ignored;
      socket.close(ignored);
      ec = {};
      co_await socket.async_connect(entry.endpoint(),
                                    asio::redirect_error(asio::use_awaitable, ec));
      if (!ec)
        break;
    }
  }
  deadline.cancel();
  // The timer's handler refers to locals: let it run (cancelled) first.
  co_await asio::post(executor, asio::use_awaitable);
  co_return !ec && !timed_out;
}

// Sends PING every `interval` on a subscribed connection and closes it when
// nothing (not even the PONG) came back for three intervals: a sentinel
// that vanished without a FIN must not leave the watch deaf.
asio::awaitable<void> keep_alive(std::shared_ptr<asio::ip::tcp::socket> socket,
                                 std::shared_ptr<clock_type::time_point> last_data,
                                 std::shared_ptr<bool> alive, std::chrono::milliseconds interval) {
  static const std::string kPing = "*1\r\n$4\r\nPING\r\n";
  asio::steady_timer timer(socket->get_executor());
  while (*alive) {
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!*alive)
      break;
    if (clock_type::now() - *last_data > 3 * interval) {
      boost::system::error_code ignored;
      socket->close(ignored);
      break;
    }
    co_await asio::async_write(*socket, asio::buffer(kPing),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;
  }
}

}  // namespace

std::expected<std::vector<sentinel_address>, std::string> parse_sentinel_list(
    std::string_view text) {
  std::vector<sentinel_address> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return std::unexpected("sentinel '" + std::string(item) + "': expected host:port");
    std::string_view host = item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const auto port_text = item.substr(colon + 1);
    std::uint16_t port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port == 0) {
      return std::unexpected("sentinel '" + std::string(item) + "': expected host:port");
    }
    out.push_back(sentinel_address{std::string(host), port});
  }
  if (out.empty())
    return std::unexpected(std::string("no sentinel given"));
  return out;
}

sentinel_resolver::sentinel_resolver(asio::any_io_executor executor, sentinel_options options,
                                     redis_endpoint base)
    : executor_(executor),
      strand_(asio::make_strand(executor)),
      options_(std::move(options)),
      base_(std::move(base)) {}

std::shared_ptr<sentinel_resolver> sentinel_resolver::create(asio::any_io_executor executor,
                                                             sentinel_options options,
                                                             redis_endpoint base) {
  return std::shared_ptr<sentinel_resolver>(
      new sentinel_resolver(std::move(executor), std::move(options), std::move(base)));
}

asio::awaitable<store_result<redis_endpoint>> sentinel_resolver::resolve() {
  return resolve_from(shared_from_this(), false);
}

asio::awaitable<store_result<redis_endpoint>> sentinel_resolver::resolve_replica() {
  return resolve_from(shared_from_this(), true);
}

asio::awaitable<store_result<redis_endpoint>> sentinel_resolver::resolve_from(
    std::shared_ptr<sentinel_resolver> self, bool replica) {
  const auto& sentinels = self->options_.sentinels;
  if (sentinels.empty())
    co_return std::unexpected(unavailable("no sentinels configured"));
  const auto timeout = self->options_.timeout;
  const std::size_t start = self->preferred_.load(std::memory_order_relaxed);
  std::string failures;
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    const std::size_t index = (start + i) % sentinels.size();
    const auto& addr = sentinels[index];
    redis_connection::config cfg;
    cfg.endpoint.host = addr.host;
    cfg.endpoint.port = addr.port;
    cfg.handshake_timeout = timeout;
    cfg.reconnect_min = timeout;
    cfg.reconnect_max = timeout;
    auto conn = redis_connection::create(self->executor_, cfg);
    store_result<redis_value> reply = std::unexpected(unavailable("not asked"));
    auto connected = co_await conn->wait_connected(timeout);
    if (connected) {
      std::vector<std::string> ask{"SENTINEL", replica ? "replicas" : "get-master-addr-by-name",
                                   self->options_.master_name};
      reply = co_await conn->execute(std::move(ask), timeout);
    } else {
      reply = std::unexpected(connected.error());
    }
    conn->close();
    std::string why;
    if (!reply) {
      why = reply.error().message;
    } else if (const auto* error = reply->error()) {
      why = error->message;
    } else if (replica && reply->array()) {
      // An array of flat field/value arrays, one per replica.
      for (const auto& entry : *reply->array()) {
        const auto* fields = entry.array();
        if (!fields)
          continue;
        std::string ip, port, flags, link;
        for (std::size_t f = 0; f + 1 < fields->size(); f += 2) {
          const auto* name = (*fields)[f].string();
          const auto* value = (*fields)[f + 1].string();
          if (!name || !value)
            continue;
          if (*name == "ip")
            ip = *value;
          else if (*name == "port")
            port = *value;
          else if (*name == "flags")
            flags = *value;
          else if (*name == "master-link-status")
            link = *value;
        }
        const auto number = parse_u64(port);
        const bool healthy = flags.find("down") == std::string::npos &&
                             flags.find("disconnected") == std::string::npos && link == "ok";
        if (healthy && !ip.empty() && number && *number > 0 && *number <= 65535) {
          redis_endpoint found = self->base_;
          found.unix_path.clear();
          found.host = ip;
          found.port = static_cast<std::uint16_t>(*number);
          self->preferred_.store(index, std::memory_order_relaxed);
          co_return found;
        }
      }
      why = "knows no healthy replica of '" + self->options_.master_name + "'";
    } else if (reply->is_nil()) {
      why = "does not know master '" + self->options_.master_name + "'";
    } else {
      const auto* items = reply->array();
      const auto port = items && items->size() == 2 && (*items)[1].string()
                            ? parse_u64(*(*items)[1].string())
                            : std::nullopt;
      if (!port || !(*items)[0].string() || *port == 0 || *port > 65535) {
        why = "unexpected reply to get-master-addr-by-name";
      } else {
        redis_endpoint primary = self->base_;
        primary.unix_path.clear();
        primary.host = *(*items)[0].string();
        primary.port = static_cast<std::uint16_t>(*port);
        self->preferred_.store(index, std::memory_order_relaxed);
        co_return primary;
      }
    }
    if (!failures.empty())
      failures += "; ";
    failures += "sentinel " + describe(addr) + ": " + why;
  }
  co_return std::unexpected(unavailable("no sentinel named the primary of '" +
                                        self->options_.master_name + "' (" + failures + ")"));
}

void sentinel_resolver::watch(switch_handler on_switch) {
  asio::co_spawn(strand_, watch_loop(shared_from_this(), std::move(on_switch)), asio::detached);
}

void sentinel_resolver::close() {
  closed_.store(true, std::memory_order_release);
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->close_watch_)
      self->close_watch_();
  });
}

asio::awaitable<void> sentinel_resolver::watch_loop(std::shared_ptr<sentinel_resolver> self,
                                                    switch_handler on_switch) {
  const auto& sentinels = self->options_.sentinels;
  const auto timeout = self->options_.timeout;
  std::size_t next = self->preferred_.load(std::memory_order_relaxed);
  asio::steady_timer pause(self->strand_);
  while (!self->closed_.load(std::memory_order_acquire) && !sentinels.empty()) {
    const auto addr = sentinels[next++ % sentinels.size()];
    auto socket = std::make_shared<asio::ip::tcp::socket>(self->strand_);
    self->close_watch_ = [socket] {
      boost::system::error_code ignored;
      socket->close(ignored);
    };
    if (co_await connect_within(*socket, addr, timeout) &&
        !self->closed_.load(std::memory_order_acquire)) {
      std::string subscribe;
      const std::array<std::string, 2> cmd{"SUBSCRIBE", "+switch-master"};
      encode_command(cmd, subscribe);
      boost::system::error_code ec;
      co_await asio::async_write(*socket, asio::buffer(subscribe),
                                 asio::redirect_error(asio::use_awaitable, ec));
      auto last_data = std::make_shared<clock_type::time_point>(clock_type::now());
      auto alive = std::make_shared<bool>(!ec);
      if (!ec)
        asio::co_spawn(self->strand_, keep_alive(socket, last_data, alive, timeout),
                       asio::detached);
      resp_decoder decoder;
      std::array<char, 4096> buffer{};
      const std::string prefix = self->options_.master_name + " ";
      while (!ec) {
        const auto n = co_await socket->async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
          break;
        *last_data = clock_type::now();
        decoder.feed(std::string_view(buffer.data(), n));
        while (auto value = decoder.next()) {
          const auto* items = value->array();
          if (!items || items->size() != 3 || !(*items)[0].string())
            continue;
          const auto& kind = *(*items)[0].string();
          if (kind == "subscribe") {
            self->watching_.store(true, std::memory_order_release);
          } else if (kind == "message" && (*items)[2].string() &&
                     (*items)[2].string()->starts_with(prefix)) {
            // "<name> <old ip> <old port> <new ip> <new port>"
            const auto& text = *(*items)[2].string();
            const auto last = text.rfind(' ');
            const auto before = last == std::string::npos || last == 0 ? std::string::npos
                                                                       : text.rfind(' ', last - 1);
            const auto port = last == std::string::npos
                                  ? std::nullopt
                                  : parse_u64(std::string_view(text).substr(last + 1));
            if (before != std::string::npos && port && *port > 0 && *port <= 65535) {
              self->switches_seen_.fetch_add(1, std::memory_order_relaxed);
              on_switch(text.substr(before + 1, last - before - 1),
                        static_cast<std::uint16_t>(*port));
            }
          }
        }
        if (decoder.failed())
          break;
      }
      *alive = false;
      self->watching_.store(false, std::memory_order_release);
    }
    boost::system::error_code ignored;
    socket->close(ignored);
    self->close_watch_ = nullptr;
    if (self->closed_.load(std::memory_order_acquire))
      break;
    pause.expires_after(std::chrono::milliseconds(200));
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace banlist::service
