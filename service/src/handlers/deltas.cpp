// GET /v1/deltas (partner): one page of the change log after the client's
// cursor, as JSON or, with Accept: application/vnd.banlist.delta.v1, in the
// binary form (docs/protocol.md (section 3)); pages near the head come from the
// change follower's in-memory window. `wait=S` long-polls: the request is
// parked on a timer until the filter state's seq advances (the change
// follower moves it) or S seconds pass — no Redis command while it waits.
#include <charconv>
#include <chrono>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "deltas/delta_poll.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kDefaultLimit = 1000;
constexpr std::size_t kMaxLimit = 10000;
constexpr std::uint64_t kMaxWaitS = 30;

std::optional<std::uint64_t> parse_u64_param(std::string_view text, int base = 10) {
  std::uint64_t value = 0;
  if (text.empty())
    return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::string epoch_hex(std::uint64_t epoch) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[epoch & 0xf];
    epoch >>= 4;
  }
  return out;
}

http_response bad_parameter(const request_context& ctx, std::string_view message) {
  return error_response(ctx, http::status::bad_request, "invalid_parameter", message);
}

// 410: the cursor cannot be served from the log; the body names the way back.
http_response resync_response(const request_context& ctx, std::string_view why,
                              std::uint64_t oldest, std::uint64_t head) {
  json_writer out;
  out.begin_object().key("error").begin_object();
  out.key("code").string("resync_required");
  out.key("message").string(why);
  out.key("snapshot").string("/v1/snapshot?format=fps");
  out.key("epoch").string(epoch_hex(ctx.state.epoch()));
  out.key("oldest").uint(oldest);
  out.key("head").uint(head);
  out.end_object().end_object();
  return json_response(ctx, http::status::gone, out.take());
}

bool wants_binary(const request_context& ctx) {
  const auto accept = ctx.request[http::field::accept];
  return std::string_view(accept.data(), accept.size()).find(sdk::kDeltaBinaryMediaType) !=
         std::string_view::npos;
}

boost::asio::awaitable<http_response> get_deltas(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"since", "limit", "wait", "epoch"}))
    co_return std::move(*bad);
  poll_request request;
  request.epoch = ctx.state.epoch();
  request.min_wait_s = ctx.state.config().deltas_min_wait_s;
  const auto* since_text = ctx.query.find("since");
  if (!since_text)
    co_return error_response(ctx, http::status::bad_request, "missing_parameter",
                             "since is required (0 replays the whole retained log)");
  const auto since = parse_u64_param(*since_text);
  if (!since || *since > sdk::kMaxSeq)
    co_return bad_parameter(ctx, "since must be a seq (a non-negative integer)");
  request.since = *since;
  request.limit = kDefaultLimit;
  if (const auto* limit = ctx.query.find("limit")) {
    const auto n = parse_u64_param(*limit);
    if (!n || *n == 0 || *n > kMaxLimit)
      co_return bad_parameter(ctx, "limit must be 1..10000");
    request.limit = *n;
  }
  std::uint64_t wait_s = 0;
  if (const auto* wait = ctx.query.find("wait")) {
    const auto n = parse_u64_param(*wait);
    if (!n || *n > kMaxWaitS)
      co_return bad_parameter(ctx, "wait must be 0..30 seconds");
    wait_s = *n;
  }
  if (const auto* epoch = ctx.query.find("epoch")) {
    const auto value = epoch->size() == 16 ? parse_u64_param(*epoch, 16) : std::nullopt;
    if (!value)
      co_return bad_parameter(ctx, "epoch must be 16 hex digits, as in the batch");
    if (*value != request.epoch) {
      co_return resync_response(ctx, "the list was rebuilt (another epoch): load a snapshot", 0, 0);
    }
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  auto& signal = ctx.state.filter().seq_advanced();
  std::expected<sdk::delta_batch, poll_failure> batch;
  while (true) {
    batch = co_await read_delta_batch(*s.handle, &ctx.state.recent_changes(), request);
    if (!batch || !batch->changes.empty() || batch->to != request.since)
      break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      break;
    // Wait for the follower to see a change past what we answered from (or
    // past its own seq, if that is already ahead, so we never spin).
    const std::uint64_t after = std::max(request.since, signal.value());
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    co_await signal.wait_past(after, left);
  }
  if (!batch) {
    const poll_failure& f = batch.error();
    switch (f.code) {
      case poll_errc::resync_required:
        co_return resync_response(ctx, "since is older than the retained change log", f.oldest,
                                  f.head);
      case poll_errc::since_ahead:
        co_return bad_parameter(
            ctx, "since is ahead of the newest seq (" + std::to_string(f.head) + ")");
      case poll_errc::store_failed:
        co_return store_error_response(ctx, *f.store, false);
      case poll_errc::corrupt_log:
        break;
    }
    co_return error_response(ctx, http::status::internal_server_error, "store_error",
                             "a change-log entry cannot be encoded; see the server log");
  }
  http_response res{http::status::ok, ctx.request.version()};
  if (wants_binary(ctx)) {
    std::vector<std::uint8_t> bytes;
    sdk::encode_delta_binary(*batch, bytes);
    res.set(http::field::content_type, std::string(sdk::kDeltaBinaryMediaType));
    res.body().assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  } else {
    res.set(http::field::content_type, "application/json");
    res.body() = sdk::encode_delta_json(*batch);
  }
  res.set(http::field::vary, "Accept");
  res.set(http::field::cache_control, "no-store");
  co_return res;
}

}  // namespace

void add_delta_routes(router& r) {
  r.add(http::verb::get, "/v1/deltas", role::partner, get_deltas);
}

}  // namespace banlist::service::handlers
