#include "websocket_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<subscriber_stats> new_stats(std::string key_id, const char* transport) {
  auto stats = std::make_shared<subscriber_stats>();
  stats->key_id = std::move(key_id);
  stats->transport = transport;
  stats->connected_at_ms = now_ms();
  return stats;
}

websocket::close_code close_code_for(sdk::reset_reason reason) {
  switch (reason) {
    case sdk::reset_reason::shutdown:
      return websocket::close_code::going_away;  // 1001
    case sdk::reset_reason::slow_consumer:
      return websocket::close_code::try_again_later;  // 1013
    case sdk::reset_reason::resync_required:
      break;
  }
  return websocket::close_code::normal;
}

}  // namespace

template <class Stream>
websocket_session<Stream>::websocket_session(Stream stream, service_state& state,
                                             std::string key_id)
    : ws_(std::move(stream)),
      state_(state),
      stats_(new_stats(std::move(key_id), "websocket")),
      feed_(state, ws_.get_executor(), stats_) {}

template <class Stream>
websocket_session<Stream>::~websocket_session() {
  if (hub_id_ != 0)
    state_.hub().remove(hub_id_);
  if (registry_id_ != 0)
    state_.sessions().remove(registry_id_);
}

template <class Stream>
void websocket_session<Stream>::start(http_request req, std::uint64_t since,
                                      std::optional<std::uint64_t> epoch) {
  asio::co_spawn(
      ws_.get_executor(),
      [self = this->shared_from_this(), req = std::move(req), since, epoch]() mutable {
        return self->run(std::move(req), since, epoch);
      },
      asio::detached);
}

template <class Stream>
void websocket_session<Stream>::deliver(std::shared_ptr<const published_batch> batch) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), batch = std::move(batch)] {
    self->feed_.push_live(batch);
  });
}

template <class Stream>
void websocket_session<Stream>::reset(sdk::reset_reason reason) {
  asio::post(ws_.get_executor(),
             [self = this->shared_from_this(), reason] { self->feed_.request_reset(reason); });
}

template <class Stream>
void websocket_session<Stream>::close_when_idle() {
  reset(sdk::reset_reason::shutdown);
}

template <class Stream>
asio::awaitable<void> websocket_session<Stream>::run(http_request req, std::uint64_t since,
                                                     std::optional<std::uint64_t> epoch) {
  const auto& config = state_.config();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = config.read_timeout;
  timeouts.idle_timeout = config.stream_idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "banlistd"); }));
  ws_.read_message_max(kInboundLimit);
  ws_.text(true);
  // Each message is written whole, so Nagle could only hold one back until
  // the peer (delayed-)ACKs the previous one: milliseconds on a live push.
  beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  if (config.stream_send_buffer != 0) {
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(config.stream_send_buffer)), ec);
  }
  co_await ws_.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec)
    co_return;
  // Registered before the feed reads the log: see subscription_feed.hpp.
  hub_id_ = state_.hub().add(this->weak_from_this(), stats_);
  registry_id_ = state_.sessions().add(this->weak_from_this());
  if (state_.shutting_down())
    feed_.request_reset(sdk::reset_reason::shutdown);
  asio::co_spawn(
      ws_.get_executor(), [self = this->shared_from_this()] { return self->read_loop(); },
      asio::detached);
  co_await feed_.run(*this, since, epoch);
}

template <class Stream>
asio::awaitable<void> websocket_session<Stream>::read_loop() {
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (true) {
    co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;  // closed, timed out (no pong), or too big (Beast closed with 1009)
    const std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    // Anything but a valid ack is ignored: a newer client may send more.
    if (auto ack = sdk::decode_client_message(text)) {
      const std::uint64_t applied = std::min(ack->seq, feed_.offered());
      stats_->acked_seq.store(applied, std::memory_order_relaxed);
      stats_->acked.store(true, std::memory_order_relaxed);
    }
  }
  feed_.peer_gone();
}

template <class Stream>
asio::awaitable<bool> websocket_session<Stream>::send_changes(
    std::shared_ptr<const std::string> message, std::uint64_t) {
  beast::error_code ec;
  co_await ws_.async_write(asio::buffer(*message), asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
bool websocket_session<Stream>::start_changes(std::shared_ptr<const std::string> message,
                                              std::uint64_t) {
  // A plain completion handler (not a coroutine): it runs on the stream's
  // executor, the strand, and keeps the session and the buffer alive.
  const auto buffer = asio::buffer(*message);
  ws_.async_write(buffer, [self = this->shared_from_this(), message = std::move(message)](
                              beast::error_code ec, std::size_t) { self->feed_.on_written(!ec); });
  return true;
}

template <class Stream>
asio::awaitable<bool> websocket_session<Stream>::send_heartbeat(std::string message) {
  beast::error_code ec;
  co_await ws_.async_write(asio::buffer(message), asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> websocket_session<Stream>::send_reset(std::string message,
                                                            sdk::reset_reason reason,
                                                            std::uint64_t last_seq) {
  beast::error_code ec;
  co_await ws_.async_write(asio::buffer(message), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_await finish(false);
    co_return;
  }
  websocket::close_reason why(close_code_for(reason));
  why.reason = "last_seq=" + std::to_string(last_seq);
  co_await ws_.async_close(why, asio::redirect_error(asio::use_awaitable, ec));
  if (ec)
    co_await finish(false);
}

template <class Stream>
asio::awaitable<void> websocket_session<Stream>::finish(bool server_error) {
  beast::error_code ec;
  if (server_error && ws_.is_open()) {
    websocket::close_reason why(websocket::close_code::internal_error);
    co_await ws_.async_close(why, asio::redirect_error(asio::use_awaitable, ec));
  }
  beast::get_lowest_layer(ws_).close();
}

template class websocket_session<beast::tcp_stream>;
template class websocket_session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace banlist::service
