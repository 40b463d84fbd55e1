// /v1/keys: issue, list and revoke API keys (admin). The secret is returned
// once, on creation; Redis keeps only its SHA-256.
#include "auth.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kMaxName = 128;
// Bounds of a per-key limit (docs/decisions.md, "Per-key rate limits").
constexpr std::int64_t kMaxPerMinute = 1000000;
constexpr std::int64_t kMaxBurst = 100000;

// Reads the optional "rate_limit": {"per_minute": n, "burst": n} of a new
// key. Returns nullopt when absent, or a message naming what is wrong.
std::expected<std::optional<key_rate_limit>, std::string> rate_limit_field(
    simdjson::dom::object object) {
  simdjson::dom::element value;
  if (object["rate_limit"].get(value))
    return std::nullopt;
  simdjson::dom::object limit;
  if (value.get(limit))
    return std::unexpected("rate_limit must be an object {per_minute, burst}");
  if (auto unknown = first_unknown_field(limit, {"per_minute", "burst"}))
    return std::unexpected("unknown field 'rate_limit." + *unknown + "'");
  auto per_minute = int_field(limit, "per_minute");
  auto burst = int_field(limit, "burst");
  if (!per_minute || !burst)
    return std::unexpected("rate_limit." + (!per_minute ? per_minute.error() : burst.error()));
  if (!*per_minute || !*burst)
    return std::unexpected("rate_limit needs per_minute and burst");
  if (**per_minute < 1 || **per_minute > kMaxPerMinute)
    return std::unexpected("rate_limit.per_minute must be 1-1000000");
  if (**burst < 1 || **burst > kMaxBurst)
    return std::unexpected("rate_limit.burst must be 1-100000");
  return key_rate_limit{static_cast<std::uint32_t>(**per_minute),
                        static_cast<std::uint32_t>(**burst)};
}

void write_key(json_writer& out, const api_key& key) {
  out.key("id").string(key.id);
  out.key("role").string(role_name(key.key_role));
  out.key("name").string(key.name);
  out.key("created_at").string(format_time_ms(key.created_at_ms));
  out.key("revoked").boolean(key.revoked);
  out.key("rate_limit");
  if (key.rate_limit) {
    out.begin_object().key("per_minute").uint(key.rate_limit->per_minute);
    out.key("burst").uint(key.rate_limit->burst).end_object();
  } else {
    out.null();
  }
}

boost::asio::awaitable<http_response> create_key(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  std::optional<role> key_role;
  std::string name;
  std::optional<key_rate_limit> limit;
  {
    auto object = parse_json_object(ctx.request.body());
    if (!object) {
      co_return error_response(ctx, http::status::bad_request, "malformed_json", object.error());
    }
    if (auto unknown = first_unknown_field(*object, {"role", "name", "rate_limit"})) {
      co_return error_response(ctx, http::status::bad_request, "unknown_field",
                               "unknown field '" + *unknown + "'");
    }
    auto role_text = string_field(*object, "role");
    auto name_text = string_field(*object, "name");
    if (!role_text || !name_text) {
      co_return error_response(ctx, http::status::bad_request, "invalid_field",
                               !role_text ? role_text.error() : name_text.error());
    }
    if (!*role_text || !*name_text) {
      co_return error_response(ctx, http::status::bad_request, "missing_field",
                               "role and name are required");
    }
    key_role = parse_role(**role_text);
    name = std::move(**name_text);
    auto limit_field = rate_limit_field(*object);
    if (!limit_field) {
      const bool unknown = limit_field.error().starts_with("unknown field");
      co_return error_response(ctx, http::status::bad_request,
                               unknown ? "unknown_field" : "invalid_field", limit_field.error());
    }
    limit = *limit_field;
  }
  if (!key_role) {
    co_return error_response(ctx, http::status::bad_request, "invalid_field",
                             "role must be partner, moderator or admin");
  }
  bool name_ok = !name.empty() && name.size() <= kMaxName;
  for (unsigned char c : name)
    name_ok = name_ok && c >= 0x20 && c != 0x7f;
  if (!name_ok) {
    co_return error_response(ctx, http::status::bad_request, "invalid_field",
                             "name must be 1-128 printable characters");
  }
  auto created = co_await s.handle->create_key(*key_role, std::move(name), ctx.who(), limit);
  if (!created)
    co_return store_error_response(ctx, created.error(), true);
  ctx.state.keys().forget_hash(sha256_hex(created->secret));
  json_writer out;
  out.begin_object();
  write_key(out, created->record);
  out.key("key").string(created->secret);
  out.end_object();
  auto res = json_response(ctx, http::status::created, out.take());
  res.set(http::field::cache_control, "no-store");
  co_return res;
}

boost::asio::awaitable<http_response> list_keys(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  auto keys = co_await s.handle->list_keys();
  if (!keys)
    co_return store_error_response(ctx, keys.error(), false);
  json_writer out;
  out.begin_object().key("keys").begin_array();
  for (const auto& key : *keys) {
    out.begin_object();
    write_key(out, key);
    out.end_object();
  }
  out.end_array().end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

boost::asio::awaitable<http_response> revoke_key(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  std::string id(ctx.param("id"));
  auto revoked = co_await s.handle->revoke_key(id, ctx.who());
  if (!revoked)
    co_return store_error_response(ctx, revoked.error(), true);
  if (!*revoked)
    co_return error_response(ctx, http::status::not_found, "not_found", "no such key");
  // Takes effect at once on this instance; others notice within the cache TTL.
  ctx.state.keys().forget_id(id);
  json_writer out;
  out.begin_object().key("id").string(id).key("revoked").boolean(true).end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

}  // namespace

void add_key_routes(router& r) {
  r.add(http::verb::post, "/v1/keys", role::admin, create_key);
  r.add(http::verb::get, "/v1/keys", role::admin, list_keys);
  r.add(http::verb::delete_, "/v1/keys/{id}", role::admin, revoke_key);
}

}  // namespace banlist::service::handlers
