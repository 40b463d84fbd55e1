// /v1/reports: partner reports of suspected accounts (issue 7,
// docs/admin-api.md "Partner reports"). Partners file and read their own
// reports; moderators list, read, accept (the report becomes a ban through
// the ban script) or reject them. The normalized identifier is stored for
// the moderator's ban but never shown: reports show the masked form.
#include <charconv>
#include <chrono>

#include "banlist/sdk/reason.hpp"
#include "handlers/ban_fields.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kMaxEvidenceChars = 4000;
constexpr std::size_t kMaxDecisionChars = 1000;
constexpr std::size_t kMaxPage = 1000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http_response bad_request(const request_context& ctx, std::string_view code,
                          std::string_view message) {
  return error_response(ctx, http::status::bad_request, code, message);
}

http_response no_such_report(const request_context& ctx) {
  return error_response(ctx, http::status::not_found, "not_found", "no such report");
}

// Characters (UTF-8 code points; simdjson has validated the encoding).
std::size_t char_count(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

// Free text: any characters but control characters other than newline and tab.
bool valid_text(std::string_view text, std::size_t max_chars) {
  if (text.empty() || char_count(text) > max_chars)
    return false;
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
      return false;
  }
  return true;
}

std::string_view status_name(report_status s) {
  switch (s) {
    case report_status::open:
      return "open";
    case report_status::accepted:
      return "accepted";
    case report_status::rejected:
      return "rejected";
  }
  return "open";
}

bool is_moderator(const request_context& ctx) {
  return ctx.caller && role_allows(ctx.caller->key_role, role::moderator);
}

// What the reporting partner may see of its report.
void write_partner_view(json_writer& out, const report& r) {
  out.begin_object();
  out.key("id").string(r.id);
  out.key("fp").string(r.fp.to_hex());
  out.key("status").string(status_name(r.status));
  out.key("created_at").string(format_time_ms(r.created_at_ms));
  if (r.status != report_status::open)
    out.key("decided_at").string(format_time_ms(r.decided_at_ms));
  if (r.status == report_status::rejected)
    out.key("decision_reason").string(r.decision_reason);
  if (r.status == report_status::accepted)
    out.key("ban_seq").uint(r.ban_seq);
  out.end_object();
}

// The moderators' view: everything but the raw identifier.
void write_moderator_view(json_writer& out, const report& r, bool with_evidence) {
  out.begin_object();
  out.key("id").string(r.id);
  out.key("fp").string(r.fp.to_hex());
  out.key("type").string(sdk::to_string(r.type));
  out.key("masked").string(r.masked);
  out.key("reason").string(r.reason);
  if (with_evidence)
    out.key("evidence").string(r.evidence);
  out.key("status").string(status_name(r.status));
  out.key("created_at").string(format_time_ms(r.created_at_ms));
  out.key("reporters").uint(r.reporters.size());
  out.key("reported_by").begin_array();
  for (const auto& id : r.reporters)
    out.string(id);
  out.end_array();
  if (r.status != report_status::open) {
    out.key("decided_at").string(format_time_ms(r.decided_at_ms));
    out.key("decided_by").string(r.decided_by);
  }
  if (r.status == report_status::rejected)
    out.key("decision_reason").string(r.decision_reason);
  if (r.status == report_status::accepted)
    out.key("ban_seq").uint(r.ban_seq);
  out.end_object();
}

http_response problem_response(const request_context& ctx, const ban_problem& p) {
  if (p.rule.empty())
    return bad_request(ctx, p.code, p.message);
  json_writer out;
  out.begin_object().key("error").begin_object();
  out.key("code").string(p.code);
  out.key("message").string(p.message);
  out.key("rule").string(p.rule);
  out.key("type").string(p.type);
  out.end_object().end_object();
  return json_response(ctx, http::status::bad_request, out.take());
}

http_response already_decided(const request_context& ctx, const report& r) {
  json_writer out;
  out.begin_object().key("error").begin_object();
  out.key("code").string("already_decided");
  out.key("message").string("this report was already " + std::string(status_name(r.status)));
  out.end_object();
  out.key("report");
  write_moderator_view(out, r, false);
  out.end_object();
  return json_response(ctx, http::status::conflict, out.take());
}

// POST /v1/reports {type, value, reason, evidence}. Validated like a ban
// (same normalizer, same reason vocabulary) before anything is stored.
boost::asio::awaitable<http_response> file_report(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  auto object = parse_json_object(ctx.request.body());
  if (!object)
    co_return bad_request(ctx, "malformed_json", object.error());
  if (auto unknown = first_unknown_field(*object, {"type", "value", "reason", "evidence"}))
    co_return bad_request(ctx, "unknown_field", "unknown field '" + *unknown + "'");
  ban_fields fields;
  std::optional<std::string> evidence;
  for (auto [name, into] :
       {std::pair{"type", &fields.type}, std::pair{"value", &fields.value},
        std::pair{"reason", &fields.reason}, std::pair{"evidence", &evidence}}) {
    auto v = string_field(*object, name);
    if (!v)
      co_return bad_request(ctx, "invalid_field", v.error());
    *into = std::move(*v);
  }
  if (!evidence)
    co_return bad_request(ctx, "missing_field", "type, value, reason and evidence are required");
  if (!valid_text(*evidence, kMaxEvidenceChars)) {
    co_return bad_request(ctx, "invalid_field",
                          "evidence must be 1 to 4000 characters of text (no control "
                          "characters but newlines and tabs)");
  }
  auto checked = validate_ban(std::move(fields), *ctx.state.seed(), ctx.caller->id, now_ms());
  if (!checked)
    co_return problem_response(ctx, checked.error());
  report proposed;
  proposed.fp = checked->fp;
  proposed.type = checked->type;
  proposed.value = std::move(checked->value);
  proposed.masked = std::move(checked->masked);
  proposed.reason = std::move(checked->reason);
  proposed.evidence = std::move(*evidence);
  auto filed = co_await s.handle->file_report(std::move(proposed), ctx.who());
  if (!filed)
    co_return store_error_response(ctx, filed.error(), true);
  json_writer out;
  if (filed->outcome == report_filing::already_banned) {
    out.begin_object().key("id").null();
    out.key("fp").string(checked->fp.to_hex());
    out.key("status").string("already_banned").end_object();
    co_return json_response(ctx, http::status::ok, out.take());
  }
  write_partner_view(out, *filed->record);
  co_return json_response(
      ctx, filed->outcome == report_filing::created ? http::status::created : http::status::ok,
      out.take());
}

boost::asio::awaitable<http_response> list_reports(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"status", "cursor", "limit"}))
    co_return std::move(*bad);
  report_query query;
  query.status = report_status::open;  // the moderators' queue by default
  if (const auto* status = ctx.query.find("status")) {
    if (*status == "open") {
      query.status = report_status::open;
    } else if (*status == "accepted") {
      query.status = report_status::accepted;
    } else if (*status == "rejected") {
      query.status = report_status::rejected;
    } else if (*status == "all") {
      query.status.reset();
    } else {
      co_return bad_request(ctx, "invalid_parameter",
                            "status must be open, accepted, rejected or all");
    }
  }
  auto number = [](std::string_view text) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return std::nullopt;
    return v;
  };
  if (const auto* cursor = ctx.query.find("cursor")) {
    const auto before = number(*cursor);
    if (!before || *before == 0)
      co_return bad_request(ctx, "invalid_parameter", "invalid cursor");
    query.before_id = *before;
  }
  if (const auto* limit = ctx.query.find("limit")) {
    const auto n = number(*limit);
    if (!n || *n == 0 || *n > kMaxPage)
      co_return bad_request(ctx, "invalid_parameter", "limit must be 1..1000");
    query.limit = static_cast<std::size_t>(*n);
  }
  auto page = co_await s.handle->list_reports(query);
  if (!page)
    co_return store_error_response(ctx, page.error(), false);
  json_writer out;
  out.begin_object().key("reports").begin_array();
  for (const auto& r : page->reports)
    write_moderator_view(out, r, false);
  out.end_array();
  if (page->next_cursor)
    out.key("next_cursor").string(std::to_string(*page->next_cursor));
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

// Moderators see every report; a partner only those it filed (any other id
// is a 404, so ids of other partners' reports are not confirmed).
boost::asio::awaitable<http_response> get_report(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  auto found = co_await s.handle->get_report(std::string(ctx.param("id")));
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  if (!*found)
    co_return no_such_report(ctx);
  const report& r = **found;
  json_writer out;
  if (is_moderator(ctx)) {
    write_moderator_view(out, r, true);
  } else {
    if (std::find(r.reporters.begin(), r.reporters.end(), ctx.caller->id) == r.reporters.end())
      co_return no_such_report(ctx);
    write_partner_view(out, r);
  }
  co_return json_response(ctx, http::status::ok, out.take());
}

// The request body of a decision: an object, or nothing at all ({}).
std::expected<simdjson::dom::object, http_response> decision_body(const request_context& ctx) {
  std::string_view body = ctx.request.body();
  auto object = parse_json_object(body.empty() ? std::string_view("{}") : body);
  if (!object)
    return std::unexpected(bad_request(ctx, "malformed_json", object.error()));
  return *object;
}

// POST /v1/reports/{id}/accept {reason?, public?, note?, case_id?,
// expires_at?}: the ban uses the report's identifier; the rest as POST
// /v1/bans (reason defaults to the report's).
boost::asio::awaitable<http_response> accept_report(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  const std::string id(ctx.param("id"));
  std::optional<ban_fields> fields;
  {
    // simdjson elements live in a per-thread parser: copy out before co_await.
    auto object = decision_body(ctx);
    if (!object)
      co_return std::move(object.error());
    if (auto unknown =
            first_unknown_field(*object, {"reason", "public", "note", "case_id", "expires_at"})) {
      co_return bad_request(ctx, "unknown_field", "unknown field '" + *unknown + "'");
    }
    auto parsed = ban_fields_from_json(*object);
    if (!parsed)
      co_return problem_response(ctx, parsed.error());
    fields = std::move(*parsed);
  }
  auto found = co_await s.handle->get_report(id);
  if (!found)
    co_return store_error_response(ctx, found.error(), false);
  if (!*found)
    co_return no_such_report(ctx);
  const report& r = **found;
  if (r.status != report_status::open)
    co_return already_decided(ctx, r);
  fields->type = std::string(sdk::to_string(r.type));
  fields->value = r.value;
  if (!fields->reason)
    fields->reason = r.reason;
  auto record = validate_ban(std::move(*fields), *ctx.state.seed(), ctx.caller->id, now_ms());
  if (!record)
    co_return problem_response(ctx, record.error());
  auto decided = co_await s.handle->accept_report(id, std::move(*record), ctx.who());
  if (!decided) {
    if (decided.error().code == store_errc::not_found)
      co_return no_such_report(ctx);
    co_return store_error_response(ctx, decided.error(), true);
  }
  if (decided->outcome == report_decision_outcome::already_decided)
    co_return already_decided(ctx, decided->record);
  // Read-your-writes on this instance, as POST /v1/bans.
  ctx.state.filter().insert(decided->ban->record.fp);
  json_writer out;
  out.begin_object().key("report");
  write_moderator_view(out, decided->record, false);
  out.key("ban");
  write_ban_record(out, decided->ban->record, true);
  out.key("created").boolean(decided->ban->created);
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

// POST /v1/reports/{id}/reject {reason}: free text, required.
boost::asio::awaitable<http_response> reject_report(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  const std::string id(ctx.param("id"));
  std::string reason;
  {
    auto object = decision_body(ctx);
    if (!object)
      co_return std::move(object.error());
    if (auto unknown = first_unknown_field(*object, {"reason"}))
      co_return bad_request(ctx, "unknown_field", "unknown field '" + *unknown + "'");
    auto given = string_field(*object, "reason");
    if (!given)
      co_return bad_request(ctx, "invalid_field", given.error());
    if (!*given)
      co_return bad_request(ctx, "missing_field", "reason is required");
    reason = std::move(**given);
  }
  if (!valid_text(reason, kMaxDecisionChars)) {
    co_return bad_request(ctx, "invalid_field",
                          "reason must be 1 to 1000 characters of text (no control characters "
                          "but newlines and tabs)");
  }
  auto decided = co_await s.handle->reject_report(id, std::move(reason), ctx.who());
  if (!decided) {
    if (decided.error().code == store_errc::not_found)
      co_return no_such_report(ctx);
    co_return store_error_response(ctx, decided.error(), true);
  }
  if (decided->outcome == report_decision_outcome::already_decided)
    co_return already_decided(ctx, decided->record);
  json_writer out;
  out.begin_object().key("report");
  write_moderator_view(out, decided->record, false);
  out.end_object();
  co_return json_response(ctx, http::status::ok, out.take());
}

}  // namespace

void add_report_routes(router& r) {
  r.add(http::verb::post, "/v1/reports", role::partner, file_report);
  r.add(http::verb::get, "/v1/reports", role::moderator, list_reports);
  r.add(http::verb::get, "/v1/reports/{id}", role::partner, get_report);
  r.add(http::verb::post, "/v1/reports/{id}/accept", role::moderator, accept_report);
  r.add(http::verb::post, "/v1/reports/{id}/reject", role::moderator, reject_report);
}

}  // namespace banlist::service::handlers
