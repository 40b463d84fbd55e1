// GET /v1/bans/export (moderator): every ban matching the filters as NDJSON
// or CSV, streamed as a chunked response. Records are read from Redis a
// page at a time (kPageSize per round trip) and each page is written
// before the next is read, so memory stays flat whatever the list size.
//
// Masked by default; raw=true adds the normalized identifier, needs an
// admin key and is audited (export_raw, with the filters) before the first
// row. The last NDJSON line is a summary; a Redis failure mid-stream ends
// with complete:false (CSV: a trailing "# incomplete" line).
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include "handlers/handlers.hpp"
#include "handlers/time_param.hpp"
#include "json.hpp"
#include "service_state.hpp"
#include "streamed_exchange.hpp"

namespace banlist::service::handlers {
namespace {
namespace asio = boost::asio;

constexpr std::size_t kPageSize = 1000;
constexpr std::size_t kMaxFilterText = 128;

struct export_filters {
  bool csv = false;
  bool raw = false;
  bool banned = true;   // walk bl:bans
  bool lifted = false;  // walk bl:lifted
  std::optional<sdk::identifier_type> type;
  std::optional<std::string> reason;
  std::optional<std::string> case_id;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
};

bool matches(const export_filters& f, const ban_record& r) {
  return (!f.type || r.type == *f.type) && (!f.reason || r.reason == *f.reason) &&
         (!f.case_id || r.case_id == *f.case_id) &&
         (!f.since_ms || r.banned_at_ms >= *f.since_ms) &&
         (!f.until_ms || r.banned_at_ms <= *f.until_ms);
}

// One RFC 4180 cell: quoted when it holds a comma, quote or line break.
void csv_cell(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

constexpr std::string_view kCsvHeader =
    "fp,type,masked,reason,note,case_id,source,public,banned_at,banned_by,expires_at,seq,status";

void write_row(std::string& out, const ban_record& r, const export_filters& f) {
  const std::string_view status = r.status == ban_status::banned ? "banned" : "lifted";
  const std::string hex = r.fp.to_hex();
  if (f.csv) {
    for (std::string_view cell :
         {std::string_view(hex), sdk::to_string(r.type), std::string_view(r.masked),
          std::string_view(r.reason), std::string_view(r.note), std::string_view(r.case_id),
          std::string_view(r.source)}) {
      csv_cell(out, cell);
      out += ',';
    }
    out += r.is_public ? "true," : "false,";
    out += format_time_ms(r.banned_at_ms);
    out += ',';
    csv_cell(out, r.banned_by);
    out += ',';
    if (r.expires_at)
      out += std::to_string(*r.expires_at);
    out += ',';
    out += std::to_string(r.seq);
    out += ',';
    out += status;
    if (f.raw) {
      out += ',';
      csv_cell(out, r.value);
    }
    out += '\n';
    return;
  }
  json_writer w;
  w.begin_object();
  w.key("fp").string(hex).key("type").string(sdk::to_string(r.type));
  if (f.raw)
    w.key("value").string(r.value);
  w.key("masked").string(r.masked).key("reason").string(r.reason);
  w.key("note").string(r.note).key("case_id").string(r.case_id).key("source").string(r.source);
  w.key("public").boolean(r.is_public).key("banned_at").string(format_time_ms(r.banned_at_ms));
  w.key("banned_by").string(r.banned_by);
  if (r.expires_at) {
    w.key("expires_at").integer(*r.expires_at);
  } else {
    w.key("expires_at").null();
  }
  w.key("seq").uint(r.seq).key("status").string(status);
  w.end_object();
  out += w.take();
  out += '\n';
}

// Reads the query; a 400 names the bad parameter.
std::expected<export_filters, http_response> parse_filters(const request_context& ctx) {
  auto bad = [&](std::string message) {
    return std::unexpected(
        error_response(ctx, http::status::bad_request, "invalid_parameter", std::move(message)));
  };
  export_filters f;
  if (const auto* v = ctx.query.find("format")) {
    if (*v != "ndjson" && *v != "csv")
      return bad("format must be ndjson or csv");
    f.csv = *v == "csv";
  }
  if (const auto* v = ctx.query.find("raw")) {
    if (*v != "true" && *v != "false")
      return bad("raw must be true or false");
    f.raw = *v == "true";
  }
  if (const auto* v = ctx.query.find("status")) {
    if (*v == "banned") {
      f.banned = true;
      f.lifted = false;
    } else if (*v == "lifted") {
      f.banned = false;
      f.lifted = true;
    } else if (*v == "all") {
      f.banned = f.lifted = true;
    } else {
      return bad("status must be banned, lifted or all");
    }
  }
  if (const auto* v = ctx.query.find("type")) {
    f.type = sdk::parse_identifier_type(*v);
    if (!f.type)
      return bad("unknown type");
  }
  if (const auto* v = ctx.query.find("reason")) {
    if (v->empty() || v->size() > kMaxFilterText)
      return bad("reason must be 1..128 characters");
    f.reason = *v;
  }
  if (const auto* v = ctx.query.find("case_id")) {
    if (v->empty() || v->size() > kMaxFilterText)
      return bad("case_id must be 1..128 characters");
    f.case_id = *v;
  }
  for (auto [name, into] : {std::pair{"since", &f.since_ms}, std::pair{"until", &f.until_ms}}) {
    if (const auto* v = ctx.query.find(name)) {
      *into = parse_time_param(*v);
      if (!*into)
        return bad(std::string(name) + " must be unix seconds or an RFC 3339 time");
    }
  }
  return f;
}

// The audit detail of a raw export: its filters (never a raw value).
std::string filter_detail(const request_context& ctx) {
  std::string detail;
  for (const char* name : {"format", "status", "type", "reason", "case_id", "since", "until"}) {
    if (const auto* v = ctx.query.find(name)) {
      if (!detail.empty())
        detail += ' ';
      detail += name;
      detail += '=';
      detail += *v;
    }
  }
  return detail.empty() ? "all banned" : detail;
}

asio::awaitable<http_response> export_bans(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(
          ctx, {"format", "raw", "status", "type", "reason", "case_id", "since", "until"}))
    co_return std::move(*bad);
  if (ctx.exchange == nullptr) {
    co_return error_response(ctx, http::status::internal_server_error, "internal",
                             "export route registered without a streamed exchange");
  }
  auto filters = parse_filters(ctx);
  if (!filters)
    co_return std::move(filters.error());
  const export_filters& f = *filters;
  if (f.raw) {
    if (!ctx.caller || !role_allows(ctx.caller->key_role, role::admin)) {
      co_return error_response(ctx, http::status::forbidden, "forbidden",
                               "raw=true (unmasked identifiers) needs an admin key");
    }
    // The clue handover is on record before any identifier leaves.
    auto audited =
        co_await s.handle->record_audit("export_raw", "bans", filter_detail(ctx), ctx.who());
    if (!audited)
      co_return store_error_response(ctx, audited.error(), true);
  }
  if (!co_await ctx.exchange->begin_response(
          http::status::ok, f.csv ? "text/csv; charset=utf-8" : "application/x-ndjson"))
    co_return error_response(ctx, http::status::bad_request, "client_gone", "connection failed");
  std::string out;
  if (f.csv) {
    out += kCsvHeader;
    out += f.raw ? ",value\n" : "\n";
  }
  std::uint64_t rows = 0;
  bool complete = true;
  for (const ban_status status : {ban_status::banned, ban_status::lifted}) {
    if ((status == ban_status::banned && !f.banned) || (status == ban_status::lifted && !f.lifted))
      continue;
    export_query q{status, 0, kPageSize};
    while (complete) {
      auto page = co_await s.handle->export_records(q);
      if (!page) {
        complete = false;
        break;
      }
      for (const auto& r : page->records) {
        if (!matches(f, r))
          continue;
        write_row(out, r, f);
        ++rows;
      }
      if (!co_await ctx.exchange->write_chunk(out))
        co_return error_response(ctx, http::status::bad_request, "client_gone", "");
      out.clear();
      if (!page->next_cursor)
        break;
      q.after_seq = *page->next_cursor;
    }
  }
  if (f.csv) {
    if (!complete)
      out += "# incomplete\n";
  } else {
    json_writer w;
    w.begin_object().key("summary").begin_object();
    w.key("rows").uint(rows).key("complete").boolean(complete);
    w.end_object().end_object();
    out += w.take();
    out += '\n';
  }
  (void)co_await ctx.exchange->write_chunk(out);
  co_return error_response(ctx, http::status::ok, "streamed", "");  // ignored: response started
}

}  // namespace

void add_export_routes(router& r) {
  r.add_streamed(http::verb::get, "/v1/bans/export", role::moderator, export_bans);
}

}  // namespace banlist::service::handlers
