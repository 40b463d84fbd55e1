// /healthz, /readyz and /metrics.
#include <string>

#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

boost::asio::awaitable<http_response> healthz(request_context& ctx) {
  co_return json_response(ctx, http::status::ok, R"({"status":"ok"})");
}

// Ready means: able to answer checks correctly from a loaded filter and to
// accept writes. The reason is in the body for operators.
boost::asio::awaitable<http_response> readyz(request_context& ctx) {
  service_state& state = ctx.state;
  std::string reason;
  const auto s = state.current_store();
  if (state.shutting_down()) {
    reason = "shutting down";
  } else if (!s) {
    reason = state.startup_status();
  } else if (!s->connected()) {
    reason = "Redis is unreachable";
  } else if (auto resync = state.filter().resyncing()) {
    reason = "history regressed, resyncing the filter: " + *resync;
  } else if (!state.filter().loaded()) {
    reason = "loading the filter";
  }
  json_writer out;
  out.begin_object();
  out.key("ready").boolean(reason.empty());
  if (!reason.empty())
    out.key("reason").string(reason);
  out.key("seq").uint(state.filter().seq());
  if (state.filter().regressions() > 0)
    out.key("last_regression").string(state.filter().last_regression());
  out.end_object();
  co_return json_response(
      ctx, reason.empty() ? http::status::ok : http::status::service_unavailable, out.take());
}

void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " gauge\n";
  out += name;
  char number[64];
  std::snprintf(number, sizeof number, " %.17g\n", value);
  out += number;
}

boost::asio::awaitable<http_response> metrics_text(request_context& ctx) {
  service_state& state = ctx.state;
  std::string out;
  state.metrics().render(out);
  const auto f = state.filter().snapshot();
  const auto s = state.current_store();
  gauge(out, "banlist_filter_loaded", "1 once the filter is loaded.", f.loaded ? 1 : 0);
  gauge(out, "banlist_filter_items", "Fingerprints inserted into the filter.",
        static_cast<double>(f.items));
  gauge(out, "banlist_filter_lifted", "Lifts since the filter was built (stale entries).",
        static_cast<double>(f.lifted));
  gauge(out, "banlist_filter_capacity", "Items the filter was sized for.",
        static_cast<double>(f.capacity));
  gauge(out, "banlist_filter_bits", "Size of the filter in bits.", static_cast<double>(f.bits));
  gauge(out, "banlist_filter_estimated_fp_rate", "Modeled false-positive rate at the item count.",
        f.estimated_fp_rate);
  // A counter in meaning, like the regressions below.
  gauge(out, "banlist_filter_builds",
        "Filters built and installed (the first load, then every rebuild).",
        static_cast<double>(f.builds));
  gauge(out, "banlist_seq", "Newest change-log seq the filter reflects.",
        static_cast<double>(f.seq));
  gauge(out, "banlist_redis_connected", "1 while the Redis command connection is up.",
        s && s->connected() ? 1 : 0);
  // A counter in meaning: each is a read of the whole list from Redis.
  gauge(out, "banlist_banned_scans",
        "Scans of the banned set begun since start (filter loads and rebuilds, snapshots "
        "without a base, counts by type).",
        s ? static_cast<double>(s->banned_scans()) : 0);
  gauge(out, "banlist_connections", "Open HTTP connections.",
        static_cast<double>(state.sessions().size()));
  // A counter in meaning (it only grows); rendered with the gauge helper.
  gauge(out, "banlist_history_regressions",
        "Times Redis's change log went back below the applied seq (lost writes).",
        static_cast<double>(state.filter().regressions()));
  gauge(out, "banlist_history_resyncing", "1 while resyncing after a history regression.",
        state.filter().resyncing() ? 1 : 0);
  auto res = http_response{http::status::ok, ctx.request.version()};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(out);
  co_return res;
}

}  // namespace

void add_ops_routes(router& r) {
  r.add(http::verb::get, "/healthz", std::nullopt, healthz);
  r.add(http::verb::get, "/readyz", std::nullopt, readyz);
  r.add(http::verb::get, "/metrics", std::nullopt, metrics_text);
}

void add_all_routes(router& r) {
  // First: the router takes the first match, and GET /v1/bans/{fp} would
  // otherwise capture GET /v1/bans/export.
  add_export_routes(r);
  add_ban_routes(r);
  add_check_routes(r);
  add_key_routes(r);
  add_audit_routes(r);
  add_ops_routes(r);
  add_delta_routes(r);
  add_snapshot_routes(r);
  add_stream_routes(r);
  add_public_page_routes(r);
  add_public_api_routes(r);
  add_bulletin_routes(r);
  add_import_routes(r);
  add_report_routes(r);
  add_lift_bulk_routes(r);
  add_status_routes(r);
}

std::optional<http_response> reject_unknown_params(
    const request_context& ctx, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : ctx.query.items()) {
    bool known = false;
    for (auto a : allowed)
      known = known || a == name;
    if (!known) {
      return error_response(ctx, http::status::bad_request, "unknown_parameter",
                            "unknown query parameter '" + name + "'");
    }
  }
  return std::nullopt;
}

std::string request_media_type(const request_context& ctx) {
  const auto field = ctx.request[http::field::content_type];
  std::string_view media(field.data(), field.size());
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower;
}

store_or_response require_store(const request_context& ctx) {
  auto s = ctx.state.current_store();
  if (s && ctx.state.seed())
    return {std::move(s), std::nullopt};
  auto res =
      error_response(ctx, http::status::service_unavailable, "starting",
                     "the service is starting (" + ctx.state.startup_status() + "); retry shortly");
  res.set(http::field::retry_after, "1");
  return {nullptr, std::move(res)};
}

}  // namespace banlist::service::handlers
