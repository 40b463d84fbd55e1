// Typical-case bulletins: POST /v1/bulletins, PUT and DELETE
// /v1/bulletins/{id} (moderator), GET /v1/bulletins and /v1/bulletins/{id}
// (public JSON). Bodies are plain text (docs/public.md, "Bulletins"); every
// mutation is one Lua script that also writes the audit log.
#include <algorithm>
#include <charconv>

#include "handlers/handlers.hpp"
#include "json.hpp"
#include "public/pages.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxTitleBytes = 200;
constexpr std::size_t kMaxBodyBytes = 20000;
constexpr std::size_t kMaxLinkedBans = 50;
constexpr std::size_t kDefaultLimit = 20;
constexpr std::size_t kMaxLimit = 100;

// Titles are one line; bodies may hold line breaks and tabs. No other
// control characters (they have no business in a notice and break XML).
bool valid_text(std::string_view text, bool multiline) {
  for (unsigned char c : text) {
    if (c == '\n' || c == '\t') {
      if (!multiline)
        return false;
      continue;
    }
    if (c < 0x20 || c == 0x7f)
      return false;
  }
  return true;
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool all_space(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\n' || c == '\t'; });
}

http_response bad_request(const request_context& ctx, std::string_view code,
                          std::string_view message) {
  return error_response(ctx, http::status::bad_request, code, message);
}

// Decodes and validates a bulletin body. Pure: nothing is stored.
std::expected<bulletin, http_response> decode_bulletin(const request_context& ctx) {
  auto object = parse_json_object(ctx.request.body());
  if (!object)
    return std::unexpected(bad_request(ctx, "malformed_json", object.error()));
  if (auto unknown = first_unknown_field(*object, {"title", "body", "linked_bans"}))
    return std::unexpected(bad_request(ctx, "unknown_field", "unknown field '" + *unknown + "'"));
  auto title = string_field(*object, "title");
  auto body = string_field(*object, "body");
  if (!title)
    return std::unexpected(bad_request(ctx, "invalid_field", title.error()));
  if (!body)
    return std::unexpected(bad_request(ctx, "invalid_field", body.error()));
  if (!*title || !*body)
    return std::unexpected(bad_request(ctx, "missing_field", "title and body are required"));
  bulletin b;
  b.title = std::move(**title);
  b.body = normalize_newlines(**body);
  if (b.title.empty() || all_space(b.title) || b.title.size() > kMaxTitleBytes ||
      !valid_text(b.title, false)) {
    return std::unexpected(bad_request(
        ctx, "invalid_title", "title must be one line of 1..200 bytes without control characters"));
  }
  if (b.body.empty() || all_space(b.body) || b.body.size() > kMaxBodyBytes ||
      !valid_text(b.body, true)) {
    return std::unexpected(
        bad_request(ctx, "invalid_body",
                    "body must be plain text of 1..20000 bytes (line breaks and tabs allowed)"));
  }
  simdjson::dom::element linked;
  if ((*object)["linked_bans"].get(linked) == simdjson::SUCCESS && !linked.is_null()) {
    simdjson::dom::array list;
    if (linked.get_array().get(list) != simdjson::SUCCESS) {
      return std::unexpected(
          bad_request(ctx, "invalid_field", "linked_bans must be an array of fingerprints"));
    }
    if (list.size() > kMaxLinkedBans) {
      return std::unexpected(
          bad_request(ctx, "invalid_field", "linked_bans holds at most 50 fingerprints"));
    }
    for (auto item : list) {
      std::string_view text;
      if (item.get_string().get(text) != simdjson::SUCCESS) {
        return std::unexpected(
            bad_request(ctx, "invalid_field", "linked_bans must be an array of fingerprints"));
      }
      auto fp = fingerprint::from_hex(text);
      if (!fp || text.size() != 32) {
        return std::unexpected(bad_request(ctx, "invalid_fingerprint",
                                           "linked_bans: each is 32 lowercase hex digits"));
      }
      if (std::find(b.linked_bans.begin(), b.linked_bans.end(), *fp) == b.linked_bans.end())
        b.linked_bans.push_back(*fp);
    }
  }
  return b;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 19 && id.front() != '0' &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `linked_bans`: all of them for moderators' writes; for the public, only
// those that are public now (a non-public ban is never disclosed).
void write_bulletin(json_writer& out, const bulletin& b,
                    const std::vector<std::optional<public_entry>>* visible) {
  out.begin_object();
  out.key("id").string(b.id);
  out.key("title").string(b.title);
  out.key("body").string(b.body);
  out.key("linked_bans").begin_array();
  for (std::size_t i = 0; i < b.linked_bans.size(); ++i) {
    if (!visible || (i < visible->size() && (*visible)[i]))
      out.string(b.linked_bans[i].to_hex());
  }
  out.end_array();
  if (visible) {
    out.key("linked").begin_array();
    for (const auto& e : *visible) {
      if (!e)
        continue;
      out.begin_object();
      out.key("masked").string(e->masked);
      out.key("type").string(sdk::to_string(e->type));
      out.key("reason").string(e->reason);
      out.key("banned_at").string(format_time_ms(e->banned_at_ms));
      out.end_object();
    }
    out.end_array();
  }
  out.key("status").string(b.published ? "published" : "withdrawn");
  out.key("created_at").string(format_time_ms(b.created_at_ms));
  out.key("updated_at").string(format_time_ms(b.updated_at_ms));
  out.end_object();
}

asio::awaitable<http_response> create_bulletin(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto b = decode_bulletin(ctx);
  if (!b)
    co_return std::move(b.error());
  auto who = ctx.who();
  auto stored = co_await s.handle->publish_bulletin(std::move(*b), std::move(who));
  if (!stored)
    co_return store_error_response(ctx, stored.error(), true);
  json_writer out;
  write_bulletin(out, *stored, nullptr);
  co_return json_response(ctx, http::status::created, out.take());
}

asio::awaitable<http_response> edit_bulletin(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  const std::string id(ctx.param("id"));
  if (!valid_id(id))
    co_return error_response(ctx, http::status::not_found, "not_found", "no such bulletin");
  auto b = decode_bulletin(ctx);
  if (!b)
    co_return std::move(b.error());
  b->id = id;
  auto who = ctx.who();
  auto stored = co_await s.handle->edit_bulletin(std::move(*b), std::move(who));
  if (!stored)
    co_return store_error_response(ctx, stored.error(), true);
  json_writer out;
  write_bulletin(out, *stored, nullptr);
  co_return json_response(ctx, http::status::ok, out.take());
}

asio::awaitable<http_response> withdraw_bulletin(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  const std::string id(ctx.param("id"));
  if (!valid_id(id))
    co_return error_response(ctx, http::status::not_found, "not_found", "no such bulletin");
  auto who = ctx.who();
  auto done = co_await s.handle->withdraw_bulletin(id, std::move(who));
  if (!done)
    co_return store_error_response(ctx, done.error(), true);
  json_writer out;
  out.begin_object().key("id").string(id).key("status").string("withdrawn").end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

asio::awaitable<http_response> list_bulletins(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {"cursor", "limit"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return pages::too_many_requests(ctx, *wait, false);
  std::uint64_t cursor = 0;
  std::size_t limit = kDefaultLimit;
  auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v == 0)
      return std::nullopt;
    return v;
  };
  if (const auto* c = ctx.query.find("cursor")) {
    const auto v = number(*c);
    if (!v) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "cursor must be a next_cursor from an earlier page");
    }
    cursor = *v;
  }
  if (const auto* l = ctx.query.find("limit")) {
    const auto v = number(*l);
    if (!v || *v > kMaxLimit) {
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "limit must be 1..100");
    }
    limit = *v;
  }
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto page = co_await s.handle->list_bulletins(cursor, limit);
  if (!page)
    co_return store_error_response(ctx, page.error(), false);
  json_writer out;
  out.begin_object().key("items").begin_array();
  for (const auto& b : page->items) {
    auto visible = co_await s.handle->public_entries(b.linked_bans);
    if (!visible)
      co_return store_error_response(ctx, visible.error(), false);
    write_bulletin(out, b, &*visible);
  }
  out.end_array();
  out.key("next_cursor");
  if (page->next_cursor)
    out.string(std::to_string(*page->next_cursor));
  else
    out.null();
  out.end_object();
  auto res = json_response(ctx, http::status::ok, out.take());
  pages::set_security_headers(res);
  res.set(http::field::cache_control, "public, max-age=10");
  co_return res;
}

asio::awaitable<http_response> get_bulletin(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return pages::too_many_requests(ctx, *wait, false);
  const std::string id(ctx.param("id"));
  if (!valid_id(id))
    co_return error_response(ctx, http::status::not_found, "not_found", "no such bulletin");
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto found = co_await s.handle->get_bulletin(id);
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  if (!*found || !(*found)->published)
    co_return error_response(ctx, http::status::not_found, "not_found", "no such bulletin");
  auto visible = co_await s.handle->public_entries((*found)->linked_bans);
  if (!visible)
    co_return store_error_response(ctx, visible.error(), false);
  json_writer out;
  write_bulletin(out, **found, &*visible);
  auto res = json_response(ctx, http::status::ok, out.take());
  pages::set_security_headers(res);
  res.set(http::field::cache_control, "public, max-age=10");
  co_return res;
}

}  // namespace

void add_bulletin_routes(router& r) {
  r.add(http::verb::post, "/v1/bulletins", role::moderator, create_bulletin);
  r.add(http::verb::get, "/v1/bulletins", std::nullopt, list_bulletins);
  r.add(http::verb::put, "/v1/bulletins/{id}", role::moderator, edit_bulletin);
  r.add(http::verb::delete_, "/v1/bulletins/{id}", role::moderator, withdraw_bulletin);
  r.add(http::verb::get, "/v1/bulletins/{id}", std::nullopt, get_bulletin);
}

}  // namespace banlist::service::handlers
