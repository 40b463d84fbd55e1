// /v1/bans: ban, read, lift and list (moderator).
#include <charconv>
#include <chrono>

#include "banlist/sdk/reason.hpp"
#include "handlers/ban_fields.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kMaxReason = 64;
constexpr std::size_t kMaxPageSize = 1000;
constexpr std::size_t kMaxLiftCaseId = 64;  // docs/admin-api.md
constexpr std::size_t kMaxLiftNote = 1000;

bool has_control_chars(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f)
      return true;
  }
  return false;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reasons are short codes ("fraud", "appeal_granted"), used as filters and
// shown to partners: letters, digits, '_', '-', '.'.
bool valid_reason(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReason)
    return false;
  for (char c : reason) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

http_response bad_request(const request_context& ctx, std::string_view code,
                          std::string_view message) {
  return error_response(ctx, http::status::bad_request, code, message);
}

struct ban_request {
  ban_record record;
};

// Decodes and validates the body of POST /v1/bans (rules in ban_fields.cpp,
// shared with the bulk import). Pure: nothing is stored.
std::expected<ban_request, http_response> decode_ban(const request_context& ctx,
                                                     std::uint64_t seed) {
  auto object = parse_json_object(ctx.request.body());
  if (!object)
    return std::unexpected(bad_request(ctx, "malformed_json", object.error()));
  auto fields = ban_fields_from_json(*object);
  if (!fields)
    return std::unexpected(bad_request(ctx, fields.error().code, fields.error().message));
  auto record =
      validate_ban(std::move(*fields), seed, ctx.caller ? ctx.caller->id : std::string(), now_ms());
  if (!record) {
    const auto& p = record.error();
    if (p.rule.empty())
      return std::unexpected(bad_request(ctx, p.code, p.message));
    json_writer out;
    out.begin_object().key("error").begin_object();
    out.key("code").string(p.code);
    out.key("message").string(p.message);
    out.key("rule").string(p.rule);
    out.key("type").string(p.type);
    out.end_object().end_object();
    return std::unexpected(json_response(ctx, http::status::bad_request, out.take()));
  }
  return ban_request{std::move(*record)};
}

boost::asio::awaitable<http_response> create_ban(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto req = decode_ban(ctx, *ctx.state.seed());
  if (!req)
    co_return std::move(req.error());
  auto outcome = co_await s.handle->ban(std::move(req->record), ctx.who());
  if (!outcome)
    co_return store_error_response(ctx, outcome.error(), true);
  // Read-your-writes on this instance: the follower will insert it too.
  ctx.state.filter().insert(outcome->record.fp);
  json_writer out;
  write_ban_record(out, outcome->record, true);
  std::string body = out.take();
  // write_ban_record closed the object; add "created" by reopening it.
  body.pop_back();
  body += outcome->created ? R"(,"created":true})" : R"(,"created":false})";
  co_return json_response(ctx, outcome->created ? http::status::created : http::status::ok,
                          std::move(body));
}

std::optional<fingerprint> path_fp(const request_context& ctx) {
  return fingerprint::from_hex(ctx.param("fp"));
}

boost::asio::awaitable<http_response> get_ban(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  const auto fp = path_fp(ctx);
  if (!fp)
    co_return bad_request(ctx, "invalid_fingerprint", "expected 32 hex digits");
  auto found = co_await s.handle->get(*fp);
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  if (!*found)
    co_return error_response(ctx, http::status::not_found, "not_found", "no such ban");
  json_writer out;
  write_ban_record(out, **found, true);
  co_return json_response(ctx, http::status::ok, out.take());
}

boost::asio::awaitable<http_response> lift_ban(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"reason", "case_id", "note"}))
    co_return std::move(*bad);
  const auto fp = path_fp(ctx);
  if (!fp)
    co_return bad_request(ctx, "invalid_fingerprint", "expected 32 hex digits");
  // Without ?reason= a lift is recorded as `other` (the audit log says who).
  std::string reason(sdk::to_string(sdk::lift_reason::other));
  if (const auto* given = ctx.query.find("reason")) {
    if (!sdk::parse_lift_reason(*given)) {
      co_return bad_request(ctx, "invalid_reason",
                            "reason must be one of: " + allowed_reason_names(true));
    }
    reason = *given;
  }
  lift_request request{*fp, std::move(reason), {}, {}};
  if (const auto* case_id = ctx.query.find("case_id")) {
    if (case_id->empty() || case_id->size() > kMaxLiftCaseId || has_control_chars(*case_id))
      co_return bad_request(ctx, "invalid_parameter", "case_id must be 1..64 characters, one line");
    request.case_id = *case_id;
  }
  if (const auto* note = ctx.query.find("note")) {
    if (note->size() > kMaxLiftNote || has_control_chars(*note))
      co_return bad_request(ctx, "invalid_parameter",
                            "note must be at most 1000 characters, one line");
    request.note = *note;
  }
  auto outcome = co_await s.handle->lift_with(std::move(request), ctx.who());
  if (!outcome) {
    if (outcome.error().code == store_errc::not_found) {
      co_return error_response(ctx, http::status::not_found, "not_banned",
                               "this fingerprint is not banned");
    }
    co_return store_error_response(ctx, outcome.error(), true);
  }
  json_writer out;
  out.begin_object().key("fp").string(outcome->fp.to_hex()).key("seq").uint(outcome->seq);
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

// One event of GET /v1/bans/{fp}/history.
void write_event(json_writer& out, bool lift, std::uint64_t seq, std::int64_t at_ms,
                 const std::string& by, const std::string& reason, const std::string& case_id,
                 const std::string& note) {
  out.begin_object();
  out.key("op").string(lift ? "lift" : "ban");
  out.key("seq").uint(seq);
  out.key("at").string(format_time_ms(at_ms));
  out.key("by").string(by);
  out.key("reason").string(reason);
  if (!case_id.empty())
    out.key("case_id").string(case_id);
  if (!note.empty())
    out.key("note").string(note);
  out.end_object();
}

boost::asio::awaitable<http_response> ban_history_route(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  const auto fp = path_fp(ctx);
  if (!fp)
    co_return bad_request(ctx, "invalid_fingerprint", "expected 32 hex digits");
  auto found = co_await s.handle->history(*fp);
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  if (!*found)
    co_return error_response(ctx, http::status::not_found, "not_found", "never banned");
  json_writer out;
  out.begin_object().key("fp").string(fp->to_hex()).key("events").begin_array();
  for (const auto& e : (*found)->episodes) {
    write_event(out, false, e.seq, e.banned_at_ms, e.banned_by, e.reason, e.case_id, e.note);
    if (e.status == ban_status::lifted) {
      write_event(out, true, e.lift_seq, e.lifted_at_ms, e.lifted_by, e.lift_reason, e.lift_case_id,
                  e.lift_note);
    }
  }
  out.end_array().end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

boost::asio::awaitable<http_response> list_bans(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"type", "reason", "since", "cursor", "limit"})) {
    co_return std::move(*bad);
  }
  ban_query query;
  if (const auto* type = ctx.query.find("type")) {
    query.type = sdk::parse_identifier_type(*type);
    if (!query.type)
      co_return bad_request(ctx, "invalid_parameter", "unknown type");
  }
  if (const auto* reason = ctx.query.find("reason")) {
    if (!valid_reason(*reason))
      co_return bad_request(ctx, "invalid_parameter", "invalid reason");
    query.reason = *reason;
  }
  if (const auto* since = ctx.query.find("since")) {
    const auto seconds = parse_number<std::int64_t>(*since);
    if (!seconds || *seconds < 0) {
      co_return bad_request(ctx, "invalid_parameter", "since must be unix seconds");
    }
    query.since_ms = *seconds * 1000;
  }
  if (const auto* cursor = ctx.query.find("cursor")) {
    const auto after = parse_number<std::uint64_t>(*cursor);
    if (!after)
      co_return bad_request(ctx, "invalid_parameter", "invalid cursor");
    query.after_seq = *after;
  }
  if (const auto* limit = ctx.query.find("limit")) {
    const auto n = parse_number<std::size_t>(*limit);
    if (!n || *n == 0 || *n > kMaxPageSize) {
      co_return bad_request(ctx, "invalid_parameter", "limit must be 1..1000");
    }
    query.limit = *n;
  }
  auto page = co_await s.handle->list(query);
  if (!page)
    co_return store_error_response(ctx, page.error(), false);
  json_writer out;
  out.begin_object().key("items").begin_array();
  for (const auto& record : page->records)
    write_ban_record(out, record, true);
  out.end_array();
  if (page->next_cursor)
    out.key("next_cursor").string(std::to_string(*page->next_cursor));
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

}  // namespace

void add_ban_routes(router& r) {
  r.add(http::verb::post, "/v1/bans", role::moderator, create_ban);
  r.add(http::verb::get, "/v1/bans", role::moderator, list_bans);
  r.add(http::verb::get, "/v1/bans/{fp}", role::moderator, get_ban);
  r.add(http::verb::delete_, "/v1/bans/{fp}", role::moderator, lift_ban);
  r.add(http::verb::get, "/v1/bans/{fp}/history", role::moderator, ban_history_route);
}

}  // namespace banlist::service::handlers
