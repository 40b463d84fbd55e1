// GET /v1/snapshot (partner): the whole list at a recent seq, in the
// snapshot container (docs/protocol.md (section 3)): kind filter by default,
// kind fps with ?format=fps. Served from the snapshot cache, which a
// background loop keeps fresh; a request never builds one. ETag
// "<epoch hex>:<seq>"; If-None-Match with it answers 304.
#include "banlist/sdk/snapshot.hpp"
#include "handlers/handlers.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

std::string etag_of(const built_snapshot& snap) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string epoch(16, '0');
  std::uint64_t e = snap.epoch;
  for (int i = 15; i >= 0; --i) {
    epoch[static_cast<std::size_t>(i)] = kDigits[e & 0xf];
    e >>= 4;
  }
  return "\"" + epoch + ":" + std::to_string(snap.seq) + "\"";
}

// True when If-None-Match lists `etag` (or is "*").
bool not_modified(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.starts_with("W/"))
      item.remove_prefix(2);
    if (item == etag || item == "*")
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

boost::asio::awaitable<http_response> get_snapshot(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {"format"}))
    co_return std::move(*bad);
  bool fps = false;
  if (const auto* format = ctx.query.find("format")) {
    if (*format == "fps") {
      fps = true;
    } else if (*format != "filter") {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "format must be filter or fps");
    }
  }
  const auto published = ctx.state.snapshots().current();
  if (!published || published->snapshot.epoch != ctx.state.epoch()) {
    auto res = error_response(ctx, http::status::service_unavailable, "snapshot_building",
                              "the first snapshot is being built; retry shortly");
    res.set(http::field::retry_after, "1");
    co_return res;
  }
  const built_snapshot& snap = published->snapshot;
  const std::string etag = etag_of(snap);
  http_response res{http::status::ok, ctx.request.version()};
  res.set(http::field::etag, etag);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Banlist-Seq", std::to_string(snap.seq));
  const auto inm = ctx.request[http::field::if_none_match];
  if (not_modified(std::string_view(inm.data(), inm.size()), etag)) {
    res.result(http::status::not_modified);
    co_return res;
  }
  res.set(http::field::content_type, std::string(sdk::kSnapshotMediaType));
  const auto& body = fps ? snap.fps_body : snap.filter_body;
  res.body().assign(reinterpret_cast<const char*>(body.data()), body.size());
  co_return res;
}

}  // namespace

void add_snapshot_routes(router& r) {
  r.add(http::verb::get, "/v1/snapshot", role::partner, get_snapshot);
}

}  // namespace banlist::service::handlers
