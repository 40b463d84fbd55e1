// Public JSON: GET /v1/public/offenders (the notice board's data, cursor
// paginated) and GET /v1/public/lookup (one masked lookup). No key needed;
// rate-limited per client address. Never a raw identifier or a fingerprint;
// a ban that is not public is answered as "not listed".
#include <charconv>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "public/pages.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 200;
constexpr std::size_t kMaxLookupValue = 256;

void write_public_entry(json_writer& out, const public_entry& e) {
  out.begin_object();
  out.key("masked").string(e.masked);
  out.key("type").string(sdk::to_string(e.type));
  out.key("reason").string(e.reason);
  out.key("banned_at").string(format_time_ms(e.banned_at_ms));
  out.key("source").string(e.source);
  out.key("case_id").string(e.case_id);
  out.key("cursor").uint(e.seq);
  out.end_object();
}

http_response public_json(const request_context& ctx, http::status status, std::string body,
                          std::string_view cache_control) {
  auto res = json_response(ctx, status, std::move(body));
  pages::set_security_headers(res);
  res.set(http::field::cache_control, std::string(cache_control));
  return res;
}

std::optional<std::uint64_t> parse_positive(const std::string& s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v == 0)
    return std::nullopt;
  return v;
}

asio::awaitable<http_response> public_offenders(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {"cursor", "limit", "type", "reason"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().lookup_limiter().take(ctx.client_address))
    co_return pages::too_many_requests(ctx, *wait, false);
  public_query query;
  query.limit = kDefaultLimit;
  if (const auto* c = ctx.query.find("cursor")) {
    const auto v = parse_positive(*c);
    if (!v) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "cursor must be a next_cursor from an earlier page");
    }
    query.before_seq = *v;
  }
  if (const auto* l = ctx.query.find("limit")) {
    const auto v = parse_positive(*l);
    if (!v || *v > kMaxLimit) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "limit must be 1..200");
    }
    query.limit = *v;
  }
  if (const auto* t = ctx.query.find("type")) {
    query.type = sdk::parse_identifier_type(*t);
    if (!query.type) {
      co_return error_response(ctx, http::status::bad_request, "invalid_type",
                               "unknown identifier type");
    }
  }
  if (const auto* r = ctx.query.find("reason")) {
    if (!sdk::parse_reason(*r)) {
      co_return error_response(ctx, http::status::bad_request, "invalid_reason",
                               "unknown ban reason");
    }
    query.reason = *r;
  }
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto page = co_await s.handle->list_public(query);
  if (!page)
    co_return store_error_response(ctx, page.error(), false);
  json_writer out;
  out.begin_object().key("items").begin_array();
  for (const auto& e : page->entries)
    write_public_entry(out, e);
  out.end_array();
  out.key("next_cursor");
  if (page->next_cursor)
    out.string(std::to_string(*page->next_cursor));
  else
    out.null();
  out.end_object();
  co_return public_json(ctx, http::status::ok, out.take(), "public, max-age=10");
}

asio::awaitable<http_response> public_lookup(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {"type", "value"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().lookup_limiter().take(ctx.client_address))
    co_return pages::too_many_requests(ctx, *wait, false);
  const auto* type_text = ctx.query.find("type");
  const auto* value = ctx.query.find("value");
  if (!type_text || !value || value->empty()) {
    co_return error_response(ctx, http::status::bad_request, "missing_parameter",
                             "type and value are required");
  }
  if (value->size() > kMaxLookupValue) {
    co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                             "value is longer than 256 bytes");
  }
  const auto type = sdk::parse_identifier_type(*type_text);
  if (!type) {
    co_return error_response(ctx, http::status::bad_request, "invalid_type",
                             "unknown identifier type");
  }
  auto normalized = sdk::normalize(*type, *value);
  if (!normalized) {
    // The message names the rule, never echoes the value.
    co_return error_response(ctx, http::status::bad_request, "invalid_identifier",
                             normalized.error().message);
  }
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  const auto seed = ctx.state.seed();
  if (!seed) {
    co_return error_response(ctx, http::status::service_unavailable, "not_ready",
                             "the list is not loaded yet");
  }
  std::vector<fingerprint> fps{sdk::fingerprint_of(*type, *normalized, *seed)};
  auto found = co_await s.handle->public_entries(std::move(fps));
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  json_writer out;
  out.begin_object();
  out.key("listed").boolean(found->front().has_value());
  out.key("type").string(sdk::to_string(*type));
  out.key("masked").string(sdk::mask(*type, *normalized));
  if (const auto& e = found->front()) {
    out.key("reason").string(e->reason);
    out.key("banned_at").string(format_time_ms(e->banned_at_ms));
    out.key("source").string(e->source);
    out.key("case_id").string(e->case_id);
  }
  out.end_object();
  co_return public_json(ctx, http::status::ok, out.take(), "no-store");
}

}  // namespace

void add_public_api_routes(router& r) {
  r.add(http::verb::get, "/v1/public/offenders", std::nullopt, public_offenders);
  r.add(http::verb::get, "/v1/public/lookup", std::nullopt, public_lookup);
}

}  // namespace banlist::service::handlers
