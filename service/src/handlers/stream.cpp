// GET /v1/stream (WebSocket), GET /v1/events (Server-Sent Events) and
// GET /v1/subscribers (admin). The two subscription routes only validate
// here and hand the connection over (subscription_handoff.hpp); the
// sessions do the rest.
#include <charconv>

#include <boost/beast/websocket/rfc6455.hpp>

#include "banlist/sdk/delta.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"
#include "subscription_handoff.hpp"

namespace banlist::service::handlers {
namespace {

std::optional<std::uint64_t> parse_seq(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v > sdk::kMaxSeq)
    return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_epoch(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (text.size() != 16 || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return v;
}

// Validates what both transports share. Returns the hand-off, or the error
// response to send instead. `resume` is the SSE Last-Event-ID, if any.
std::expected<subscription_handoff, http_response> parse_request(
    const request_context& ctx, subscription_handoff::transport kind,
    std::optional<std::string_view> resume) {
  if (auto bad = reject_unknown_params(ctx, {"since", "epoch"}))
    return std::unexpected(std::move(*bad));
  auto [handle, failure] = require_store(ctx);
  if (failure)
    return std::unexpected(std::move(*failure));
  if (!ctx.state.filter().loaded()) {
    auto res = error_response(ctx, http::status::service_unavailable, "starting",
                              "the change log is not followed yet; retry shortly");
    res.set(http::field::retry_after, "1");
    return std::unexpected(std::move(res));
  }
  subscription_handoff h;
  h.kind = kind;
  h.key_id = ctx.caller ? ctx.caller->id : std::string();
  const std::string* since = ctx.query.find("since");
  std::string_view since_text;
  const char* since_name = "since";
  if (resume) {  // an EventSource reconnecting: Last-Event-ID wins over the URL
    since_text = *resume;
    since_name = "Last-Event-ID";
  } else if (since) {
    since_text = *since;
  } else {
    return std::unexpected(error_response(
        ctx, http::status::bad_request, "missing_parameter",
        "since is required: the last seq your replica applied (0 replays the retained log)"));
  }
  auto seq = parse_seq(since_text);
  if (!seq) {
    return std::unexpected(
        error_response(ctx, http::status::bad_request, "invalid_parameter",
                       std::string(since_name) + " must be a seq: an integer in [0, 2^53 - 1]"));
  }
  h.since = *seq;
  if (const std::string* epoch = ctx.query.find("epoch")) {
    h.epoch = parse_epoch(*epoch);
    if (!h.epoch) {
      return std::unexpected(error_response(ctx, http::status::bad_request, "invalid_parameter",
                                            "epoch must be 16 lowercase hex digits"));
    }
  }
  return h;
}

boost::asio::awaitable<http_response> stream(request_context& ctx) {
  if (!boost::beast::websocket::is_upgrade(ctx.request)) {
    auto res = error_response(ctx, http::status::upgrade_required, "upgrade_required",
                              "GET /v1/stream is a WebSocket: send an Upgrade request "
                              "(or use GET /v1/events for Server-Sent Events)");
    res.set(http::field::upgrade, "websocket");
    co_return res;
  }
  auto h = parse_request(ctx, subscription_handoff::transport::websocket, std::nullopt);
  if (!h)
    co_return std::move(h.error());
  co_return handoff_response(ctx, *h);
}

boost::asio::awaitable<http_response> events(request_context& ctx) {
  std::optional<std::string_view> resume;
  if (auto it = ctx.request.find("Last-Event-ID"); it != ctx.request.end())
    resume = std::string_view(it->value().data(), it->value().size());
  auto h = parse_request(ctx, subscription_handoff::transport::sse, resume);
  if (!h)
    co_return std::move(h.error());
  co_return handoff_response(ctx, *h);
}

boost::asio::awaitable<http_response> subscribers(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  service_state& state = ctx.state;
  const hub& h = state.hub();
  json_writer out;
  out.begin_object();
  out.key("instance").string(state.instance_name());
  out.key("head").uint(h.head());
  out.key("subscribers").begin_array();
  for (const auto& v : h.list()) {
    out.begin_object();
    out.key("id").uint(v.id);
    out.key("key_id").string(v.key_id);
    out.key("instance").string(state.instance_name());
    out.key("transport").string(v.transport);
    out.key("connected_at").integer(v.connected_at_ms);
    out.key("since").uint(v.since);
    out.key("sent_seq").uint(v.sent_seq);
    if (v.acked) {
      out.key("applied_seq").uint(v.acked_seq);
    } else {
      out.key("applied_seq").null();
    }
    out.key("lag").uint(v.lag);
    out.key("queued").uint(v.queued);
    out.end_object();
  }
  out.end_array();
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

}  // namespace

void add_stream_routes(router& r) {
  r.add(http::verb::get, "/v1/stream", role::partner, stream);
  r.add(http::verb::get, "/v1/events", role::partner, events);
  r.add(http::verb::get, "/v1/subscribers", role::admin, subscribers);
}

}  // namespace banlist::service::handlers
