#include "sse_session.hpp"

#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr bool is_tls(const beast::tcp_stream*) {
  return false;
}
constexpr bool is_tls(const beast::ssl_stream<beast::tcp_stream>*) {
  return true;
}

std::shared_ptr<subscriber_stats> new_sse_stats(std::string key_id) {
  auto stats = std::make_shared<subscriber_stats>();
  stats->key_id = std::move(key_id);
  stats->transport = "sse";
  stats->connected_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  return stats;
}

}  // namespace

template <class Stream>
sse_session<Stream>::sse_session(Stream stream, service_state& state, std::string key_id)
    : stream_(std::move(stream)),
      state_(state),
      stats_(new_sse_stats(std::move(key_id))),
      feed_(state, stream_.get_executor(), stats_) {}

template <class Stream>
sse_session<Stream>::~sse_session() {
  if (hub_id_ != 0)
    state_.hub().remove(hub_id_);
  if (registry_id_ != 0)
    state_.sessions().remove(registry_id_);
}

template <class Stream>
void sse_session<Stream>::start(std::string request_id, std::uint64_t since,
                                std::optional<std::uint64_t> epoch) {
  asio::co_spawn(
      stream_.get_executor(),
      [self = this->shared_from_this(), id = std::move(request_id), since, epoch]() mutable {
        return self->run(std::move(id), since, epoch);
      },
      asio::detached);
}

template <class Stream>
void sse_session<Stream>::deliver(std::shared_ptr<const published_batch> batch) {
  asio::post(stream_.get_executor(), [self = this->shared_from_this(), batch = std::move(batch)] {
    self->feed_.push_live(batch);
  });
}

template <class Stream>
void sse_session<Stream>::reset(sdk::reset_reason reason) {
  asio::post(stream_.get_executor(),
             [self = this->shared_from_this(), reason] { self->feed_.request_reset(reason); });
}

template <class Stream>
void sse_session<Stream>::close_when_idle() {
  reset(sdk::reset_reason::shutdown);
}

template <class Stream>
template <class Buffers>
asio::awaitable<bool> sse_session<Stream>::write(const Buffers& buffers) {
  const auto& config = state_.config();
  beast::get_lowest_layer(stream_).expires_after(config.heartbeat_interval + config.read_timeout);
  beast::error_code ec;
  co_await asio::async_write(stream_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> sse_session<Stream>::run(std::string request_id, std::uint64_t since,
                                               std::optional<std::uint64_t> epoch) {
  const auto& config = state_.config();
  // As for WebSocket: events are written whole; Nagle would only delay them.
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (config.stream_send_buffer != 0) {
    beast::get_lowest_layer(stream_).socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(config.stream_send_buffer)), ignored);
  }
  const std::string header =
      "HTTP/1.1 200 OK\r\nServer: banlistd\r\nContent-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n"
      "X-Request-Id: " +
      request_id + "\r\n\r\n";
  const bool written = co_await write(asio::buffer(header));
  if (!written) {
    co_await finish(false);
    co_return;
  }
  hub_id_ = state_.hub().add(this->weak_from_this(), stats_);
  registry_id_ = state_.sessions().add(this->weak_from_this());
  if (state_.shutting_down())
    feed_.request_reset(sdk::reset_reason::shutdown);
  co_await feed_.run(*this, since, epoch);
}

template <class Stream>
asio::awaitable<bool> sse_session<Stream>::send_changes(std::shared_ptr<const std::string> message,
                                                        std::uint64_t last_seq) {
  const std::string prefix = "id: " + std::to_string(last_seq) + "\ndata: ";
  static constexpr std::string_view kEnd = "\n\n";
  const std::array<asio::const_buffer, 3> buffers{asio::buffer(prefix), asio::buffer(*message),
                                                  asio::buffer(kEnd.data(), kEnd.size())};
  const bool ok = co_await write(buffers);
  co_return ok;
}

template <class Stream>
asio::awaitable<bool> sse_session<Stream>::send_heartbeat(std::string message) {
  message.insert(0, ": ");
  message += "\n\n";
  const bool ok = co_await write(asio::buffer(message));
  co_return ok;
}

template <class Stream>
asio::awaitable<void> sse_session<Stream>::send_reset(std::string message, sdk::reset_reason,
                                                      std::uint64_t) {
  message.insert(0, "event: reset\ndata: ");
  message += "\n\n";
  const bool ok = co_await write(asio::buffer(message));
  (void)ok;
  co_await finish(false);
}

template <class Stream>
asio::awaitable<void> sse_session<Stream>::finish(bool) {
  beast::error_code ec;
  auto& tcp = beast::get_lowest_layer(stream_);
  if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
    tcp.expires_after(std::chrono::seconds(2));
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  tcp.close();
}

template class sse_session<beast::tcp_stream>;
template class sse_session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace banlist::service
