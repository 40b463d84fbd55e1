// /v1/audit: who did what, when, from where (moderator). Newest first,
// paginated by the entry id; filters by actor key id, action and time
// (docs/admin-api.md).
#include <charconv>

#include "handlers/handlers.hpp"
#include "handlers/time_param.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxFilterText = 64;

// Stream entry ids look like "1714567890123-0".
bool valid_entry_id(std::string_view id) {
  if (id.empty() || id.size() > 41)
    return false;
  bool dash = false;
  for (char c : id) {
    if (c == '-' && !dash) {
      dash = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

boost::asio::awaitable<http_response> list_audit(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad =
          reject_unknown_params(ctx, {"before", "limit", "actor", "action", "since", "until"}))
    co_return std::move(*bad);
  audit_query query;
  for (auto [name, into] : {std::pair{"actor", &query.actor}, std::pair{"action", &query.action}}) {
    if (const auto* v = ctx.query.find(name)) {
      if (v->empty() || v->size() > kMaxFilterText) {
        co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                                 std::string(name) + " must be 1..64 characters");
      }
      *into = *v;
    }
  }
  for (auto [name, into] :
       {std::pair{"since", &query.since_ms}, std::pair{"until", &query.until_ms}}) {
    if (const auto* v = ctx.query.find(name)) {
      *into = parse_time_param(*v);
      if (!*into) {
        co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                                 std::string(name) + " must be unix seconds or an RFC 3339 time");
      }
    }
  }
  std::optional<std::string> before;
  if (const auto* b = ctx.query.find("before")) {
    if (!valid_entry_id(*b)) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "before must be an audit entry id");
    }
    before = *b;
  }
  std::size_t limit = 100;
  if (const auto* l = ctx.query.find("limit")) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc{} || end != l->data() + l->size() || n == 0 || n > kMaxPage) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "limit must be 1..1000");
    }
    limit = n;
  }
  query.before_id = std::move(before);
  query.limit = limit;
  auto page = co_await s.handle->audit_filtered(std::move(query));
  if (!page)
    co_return store_error_response(ctx, page.error(), false);
  const auto* entries = &page->entries;
  json_writer out;
  out.begin_object().key("entries").begin_array();
  for (const auto& e : *entries) {
    out.begin_object();
    out.key("id").string(e.id);
    out.key("at").string(format_time_ms(e.at_ms));
    out.key("key_id").string(e.key_id);
    out.key("address").string(e.address);
    out.key("request_id").string(e.request_id);
    out.key("action").string(e.action);
    out.key("target").string(e.target);
    out.key("detail").string(e.detail);
    out.end_object();
  }
  out.end_array();
  if (page->next_before)
    out.key("next_before").string(*page->next_before);
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

}  // namespace

void add_audit_routes(router& r) {
  r.add(http::verb::get, "/v1/audit", role::moderator, list_audit);
}

}  // namespace banlist::service::handlers
