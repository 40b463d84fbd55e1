#include "sync_loop.hpp"

#include <simdjson.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "banlist/sdk/subscription.hpp"
#include "banlist/sdk/wire_errors.hpp"

namespace banlist::sdk::detail {
namespace {

using http_verb = boost::beast::http::verb;
using namespace std::chrono_literals;

// Consecutive failed WebSocket connections before falling back to long-poll.
constexpr unsigned kWebsocketAttempts = 2;

bool declined_route(unsigned status) {
  // The route is missing or the path cannot upgrade (a proxy): long-poll.
  return status == 400 || status == 404 || status == 405 || status == 426 || status == 501;
}

// Returns the little-endian u64 at `offset`, or 0 when the bytes are too short.
std::uint64_t read_u64_le(std::span<const std::uint8_t> bytes, std::size_t offset) {
  if (bytes.size() < offset + 8)
    return 0;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v |= std::uint64_t{bytes[offset + i]} << (8 * i);
  return v;
}

std::string describe(std::string_view what, const std::error_code& ec) {
  return std::string(what) + ": " + ec.message();
}

}  // namespace

sync_loop::sync_loop(transport& t, stored_replica& stored, const client_config& config,
                     sync_progress& progress)
    : transport_(t), stored_(stored), config_(config), progress_(progress) {}

void sync_loop::report(std::string error) {
  std::lock_guard lock(progress_.mutex);
  progress_.last_error = std::move(error);
}

void sync_loop::set_connected(sync_transport transport, bool connected) {
  std::lock_guard lock(progress_.mutex);
  progress_.transport = transport;
  progress_.connected = connected;
}

std::chrono::milliseconds sync_loop::next_backoff() {
  // Full jitter: a random delay in [d/2, d], d doubling up to the maximum.
  backoff_ =
      backoff_ == 0ms ? config_.backoff_initial : std::min(backoff_ * 2, config_.backoff_max);
  std::uniform_int_distribution<std::int64_t> jitter(backoff_.count() / 2, backoff_.count());
  std::chrono::milliseconds delay(jitter(rng_));
  if (retry_after_)
    delay = std::max<std::chrono::milliseconds>(delay, *retry_after_);
  retry_after_.reset();
  return delay;
}

net::awaitable<void> sync_loop::sleep(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(delay);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

void sync_loop::flush(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!stored_.dirty() || (!force && now - last_flush_ < config_.flush_interval))
    return;
  last_flush_ = now;
  if (auto ok = stored_.flush(); !ok)
    report(describe("storing the replica", ok.error()));
}

net::awaitable<void> sync_loop::run() {
  for (;;) {
    const replica_status st = stored_.replica().status();
    if (!st.loaded || need_snapshot_) {
      if (!co_await bootstrap()) {
        {
          std::lock_guard lock(progress_.mutex);
          ++progress_.reconnects;
        }
        const auto delay = next_backoff();
        co_await sleep(delay);
        continue;
      }
      need_snapshot_ = false;
      backoff_ = 0ms;
      catch_up_ = true;
    }
    // Right after a snapshot, one poll that does not wait: it applies what
    // the snapshot (often a cached, older one) lacks and tells the head, so
    // wait_until_current() knows when the replica is current. A WebSocket
    // replay says nothing when there is nothing to replay.
    const bool try_websocket =
        config_.use_websocket && std::chrono::steady_clock::now() >= websocket_retry_at_;
    outcome o = outcome::failed;
    if (catch_up_) {
      catch_up_ = false;
      o = co_await poll_once(false);
    } else {
      o = try_websocket ? co_await follow_websocket() : co_await poll_once(true);
    }
    flush(false);
    switch (o) {
      case outcome::progressed:
        backoff_ = 0ms;
        break;
      case outcome::reconnect:
        break;
      case outcome::resync:
        need_snapshot_ = true;
        break;
      case outcome::unavailable: {
        websocket_retry_at_ = std::chrono::steady_clock::now() + config_.long_poll_period;
        std::lock_guard lock(progress_.mutex);
        ++progress_.long_poll_fallbacks;
        progress_.transport = sync_transport::long_poll;
        break;
      }
      case outcome::failed: {
        {
          std::lock_guard lock(progress_.mutex);
          ++progress_.reconnects;
        }
        const auto delay = next_backoff();
        co_await sleep(delay);
        break;
      }
    }
  }
}

bool sync_loop::note_websocket_drop() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(progress_.mutex);
    ++progress_.websocket_drops;
  }
  if (config_.websocket_drop_limit == 0)
    return false;
  websocket_drops_.push_back(now);
  while (!websocket_drops_.empty() &&
         now - websocket_drops_.front() > config_.websocket_drop_window)
    websocket_drops_.pop_front();
  if (websocket_drops_.size() < config_.websocket_drop_limit)
    return false;
  websocket_drops_.clear();
  return true;
}

net::awaitable<bool> sync_loop::bootstrap() {
  const bool exact = config_.mode == client_mode::replica;
  std::string target = exact ? "/v1/snapshot?format=fps" : "/v1/snapshot";
  std::string accept(kSnapshotMediaType);
  http_result r =
      co_await transport_.request(http_verb::get, std::move(target), {}, std::move(accept),
                                  config_.max_snapshot_bytes, config_.request_timeout * 10);
  if (r.error) {
    report(describe("snapshot", r.error));
    co_return false;
  }
  if (r.status != 200) {
    retry_after_ = r.retry_after;
    report("snapshot: HTTP " + std::to_string(r.status));
    co_return false;
  }
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(r.body.data()),
                                            r.body.size());
  // A snapshot of our epoch older than the replica (a server's snapshot
  // cache lags its head) would move answers backwards: keep the replica and
  // follow deltas from its seq again; if those are gone too (410), the next
  // resync asks again after the backoff, by when the cache has moved on.
  const replica_status current = stored_.replica().status();
  if (current.loaded) {
    // Header fields only (install_snapshot verifies everything): a damaged
    // header at worst delays the resync by one backoff.
    const std::uint64_t epoch = read_u64_le(bytes, snapshot_format::kEpochOffset);
    const std::uint64_t seq = read_u64_le(bytes, snapshot_format::kSeqOffset);
    if (epoch == current.epoch && seq < current.seq) {
      report("snapshot: older than the replica (seq " + std::to_string(seq) + " < " +
             std::to_string(current.seq) + ")");
      need_snapshot_ = false;
      co_return false;
    }
  }
  auto installed = stored_.install_snapshot(bytes);
  if (!installed && !stored_.replica().status().loaded) {
    report(describe("snapshot", installed.error()));
    co_return false;
  }
  std::lock_guard lock(progress_.mutex);
  ++progress_.snapshots_loaded;
  progress_.last_error = installed ? "" : describe("storing the snapshot", installed.error());
  co_return true;
}

sync_loop::outcome sync_loop::apply(const delta_batch& batch) {
  const std::uint64_t seq = stored_.replica().status().seq;
  if (auto ok = stored_.apply(batch); !ok) {
    const std::error_code ec = ok.error();
    if (ec == wire_errc::seq_gap) {
      if (batch.to <= seq && batch.epoch == stored_.replica().status().epoch)
        return outcome::progressed;  // a replay of what we hold: nothing to do
      report(describe("deltas", ec));
      return outcome::reconnect;  // ask again from our seq
    }
    report(describe("deltas", ec));
    if (ec == wire_errc::epoch_mismatch || ec == wire_errc::digest_mismatch ||
        ec == wire_errc::already_banned || ec == wire_errc::not_banned)
      return outcome::resync;
    return outcome::failed;  // a malformed batch: back off and ask again
  }
  stored_.replica().note_server_head(batch.head);
  std::lock_guard lock(progress_.mutex);
  ++progress_.batches_applied;
  progress_.heard_since_start = true;
  progress_.last_error.clear();
  return outcome::progressed;
}

net::awaitable<sync_loop::outcome> sync_loop::follow_websocket() {
  std::string target = "/v1/stream?since=" + std::to_string(stored_.replica().status().seq);
  websocket_result c =
      co_await transport_.open_websocket(std::move(target), config_.request_timeout);
  if (c.error) {
    report(describe("stream", c.error));
    if (c.status == 410)
      co_return outcome::resync;
    retry_after_ = c.retry_after;
    if (!c.reached)
      co_return outcome::failed;  // the server is down, not the socket refused: back off
    // Declined by a response that says the route cannot upgrade, or broken
    // without any response twice in a row (a proxy that resets upgrades):
    // long-poll. Other statuses (401, 429, 5xx) would refuse a poll as well.
    if (declined_route(c.status) ||
        (c.status == 0 && ++websocket_failures_ >= kWebsocketAttempts)) {
      websocket_failures_ = 0;
      co_return outcome::unavailable;
    }
    co_return outcome::failed;
  }
  websocket_failures_ = 0;
  set_connected(sync_transport::websocket, true);
  // Tell the server at once what this replica holds: its subscriber list
  // shows the applied seq (and the lag) even when nothing new arrives.
  {
    client_ack hello;
    hello.seq = stored_.replica().status().seq;
    std::string hello_text = encode_ack_message(hello);
    if (auto written = co_await c.socket->write(std::move(hello_text)); written) {
      report(describe("stream ack", written));
      set_connected(sync_transport::websocket, false);
      co_return note_websocket_drop() ? outcome::unavailable : outcome::failed;
    }
  }
  bool progressed = false;
  outcome result = outcome::failed;
  for (;;) {
    std::string text;
    const std::error_code ec = co_await c.socket->read(text);
    if (ec) {
      // The socket broke under us (not a reset the server sent): a drop.
      report(describe("stream", ec));
      result = note_websocket_drop() ? outcome::unavailable : outcome::failed;
      break;
    }
    auto message = decode_server_message(text);
    if (!message) {
      report(describe("stream message", message.error()));
      result = outcome::failed;
      break;
    }
    if (auto* batch = std::get_if<delta_batch>(&*message)) {
      const outcome o = apply(*batch);
      if (o != outcome::progressed) {
        result = o;
        break;
      }
      progressed = true;
      flush(false);
      client_ack ack;
      ack.seq = stored_.replica().status().seq;
      std::string ack_text = encode_ack_message(ack);
      if (auto written = co_await c.socket->write(std::move(ack_text)); written) {
        report(describe("stream ack", written));
        result = note_websocket_drop() ? outcome::unavailable : outcome::failed;
        break;
      }
    } else if (auto* beat = std::get_if<heartbeat>(&*message)) {
      const replica_status st = stored_.replica().status();
      if (beat->epoch != st.epoch) {
        result = outcome::resync;
        break;
      }
      stored_.replica().note_server_head(beat->head);
      if (beat->head == st.seq && beat->digest != st.digest) {
        report("stream: heartbeat digest differs from the replica's");
        result = outcome::resync;
        break;
      }
      std::lock_guard lock(progress_.mutex);
      progress_.heard_since_start = true;
    } else {
      const auto& reset = std::get<reset_notice>(*message);
      result = reset.reason == reset_reason::resync_required ? outcome::resync
               : reset.reason == reset_reason::slow_consumer ? outcome::reconnect
                                                             : outcome::failed;
      report("stream reset: " + std::string(to_string(reset.reason)));
      break;
    }
  }
  set_connected(sync_transport::websocket, false);
  if (result == outcome::failed && progressed)
    backoff_ = 0ms;  // it worked for a while: start the backoff afresh
  co_return result;
}

net::awaitable<sync_loop::outcome> sync_loop::poll_once(bool wait) {
  const replica_status st = stored_.replica().status();
  const std::chrono::seconds wait_s = wait ? config_.long_poll_wait : std::chrono::seconds(0);
  std::string target =
      "/v1/deltas?since=" + std::to_string(st.seq) + "&wait=" + std::to_string(wait_s.count());
  std::string accept(kDeltaBinaryMediaType);
  http_result r =
      co_await transport_.request(http_verb::get, std::move(target), {}, std::move(accept),
                                  config_.max_message_bytes, config_.request_timeout + wait_s);
  if (r.error) {
    if (wait)
      set_connected(sync_transport::long_poll, false);
    report(describe("deltas", r.error));
    co_return outcome::failed;
  }
  if (wait)
    set_connected(sync_transport::long_poll, true);
  if (r.status == 410)
    co_return outcome::resync;
  if (r.status != 200) {
    retry_after_ = r.retry_after;
    report("deltas: HTTP " + std::to_string(r.status));
    co_return outcome::failed;
  }
  std::expected<delta_batch, std::error_code> batch;
  if (r.content_type.starts_with(kDeltaBinaryMediaType)) {
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(r.body.data()),
                                              r.body.size());
    batch = decode_delta_binary(bytes);
  } else {
    batch = decode_delta_json(r.body);
  }
  if (!batch) {
    report(describe("deltas", batch.error()));
    co_return outcome::failed;
  }
  const outcome o = apply(*batch);
  if (wait && o == outcome::progressed && !batch->more && batch->min_wait_s > 0) {
    const std::chrono::milliseconds wait = std::chrono::seconds(batch->min_wait_s);
    co_await sleep(wait);
  }
  co_return o;
}

net::awaitable<std::expected<check_result, std::error_code>> sync_loop::confirm(fingerprint fp) {
  std::string body = R"({"items":[{"fp":")" + fp.to_hex() + R"("}]})";
  std::string accept = "application/json";
  std::string target = "/v1/check";
  http_result r = co_await transport_.request(http_verb::post, std::move(target), std::move(body),
                                              std::move(accept), 1 << 20, config_.request_timeout);
  if (r.error)
    co_return std::unexpected(r.error);
  if (r.status != 200)
    co_return std::unexpected(std::make_error_code(std::errc::protocol_error));
  simdjson::dom::parser parser;
  simdjson::dom::element item;
  if (parser.parse(r.body).at_pointer("/results/0").get(item))
    co_return std::unexpected(make_error_code(wire_errc::bad_json));
  bool banned = false;
  if (item["banned"].get(banned))
    co_return std::unexpected(make_error_code(wire_errc::missing_field));
  bool confirmed = true;
  if (item["confirmed"].get(confirmed))
    confirmed = true;  // absent means confirmed
  check_result out;
  out.fp = fp;
  out.seq = stored_.replica().status().seq;
  out.confirmed_online = confirmed;
  out.verdict = banned ? (confirmed ? check_verdict::banned : check_verdict::maybe)
                       : check_verdict::not_banned;
  std::string_view reason;
  if (banned && !item["reason"].get(reason))
    out.reason = parse_reason(reason);
  co_return out;
}

}  // namespace banlist::sdk::detail
