// GET /v1/snapshot (partner): the whole list at a recent seq, in the
// snapshot container (docs/protocol.md (section 3)): kind filter by default,
// kind fps with ?format=fps. Served from the snapshot cache, which a
// background loop keeps fresh; a request never builds one. The body is the
// snapshot's file (deltas/snapshot_files.hpp), sent with http::file_body.
// ETag
// "<epoch hex>:<seq>"; If-None-Match with it answers 304.
#include "banlist/sdk/snapshot.hpp"
#include "handlers/handlers.hpp"
#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

std::string etag_of(const stored_snapshot& snap) {
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
  const stored_snapshot& snap = published->snapshot;
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
  // `published` holds the file until it is open; from then the open
  // descriptor keeps the bytes even when a newer snapshot unlinks it.
  const std::string& path = (fps ? snap.fps : snap.filter)->path();
  boost::beast::error_code ec;
  http::file_body::value_type file;
  file.open(path.c_str(), boost::beast::file_mode::scan, ec);
  if (!ec && ctx.file) {
    *ctx.file = std::move(file);
    co_return res;
  }
  if (!ec) {
    // No file body on this path: the bytes in memory instead.
    res.body().resize(static_cast<std::size_t>(file.size()));
    std::size_t done = 0;
    while (!ec && done < res.body().size()) {
      const std::size_t n =
          file.file().read(res.body().data() + done, res.body().size() - done, ec);
      if (n == 0 && !ec)
        ec = boost::beast::http::error::partial_message;  // shorter than it was
      done += n;
    }
  }
  if (ec) {
    log_line(log_level::error, "snapshot file " + path + " cannot be read: " + ec.message());
    co_return error_response(ctx, http::status::internal_server_error, "internal",
                             "the snapshot cannot be read; see the server log");
  }
  co_return res;
}

}  // namespace

void add_snapshot_routes(router& r) {
  r.add(http::verb::get, "/v1/snapshot", role::partner, get_snapshot);
}

}  // namespace banlist::service::handlers
