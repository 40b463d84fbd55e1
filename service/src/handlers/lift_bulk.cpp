// POST /v1/bans/lift (moderator): bulk lift from CSV or NDJSON, streamed,
// with the per-line results, summary and circuit breaker of the import
// (bulk_stream.hpp). A line names a fingerprint (`fp`) or an identifier
// (`type`, `value`), with an optional lift `reason` (default `other`) and
// `case_id`.
#include <algorithm>

#include "banlist/sdk/reason.hpp"
#include "handlers/bulk_stream.hpp"

namespace banlist::service::handlers {
namespace {
namespace asio = boost::asio;

constexpr std::size_t kMaxCaseId = 64;
constexpr std::string_view kLiftColumns[] = {"fp", "type", "value", "reason", "case_id"};

ban_problem problem(std::string code, std::string message) {
  return ban_problem{std::move(code), std::move(message), {}, {}};
}

// The fields of one line, before validation (indexes as kLiftColumns).
using lift_fields = std::array<std::optional<std::string>, 5>;

std::expected<lift_request, ban_problem> validate_lift(lift_fields f, std::uint64_t seed) {
  auto& [fp_text, type, value, reason, case_id] = f;
  lift_request r;
  if (fp_text) {
    if (type || value)
      return std::unexpected(problem("invalid_field", "give fp, or type and value, not both"));
    auto fp = fingerprint::from_hex(*fp_text);
    if (!fp)
      return std::unexpected(problem("invalid_fingerprint", "fp must be 32 hex digits"));
    r.fp = *fp;
  } else {
    if (!type || !value)
      return std::unexpected(problem("missing_field", "give fp, or type and value"));
    const auto id_type = sdk::parse_identifier_type(*type);
    if (!id_type)
      return std::unexpected(problem("invalid_type", "unknown identifier type '" + *type + "'"));
    auto normalized = sdk::normalize(*id_type, *value);
    if (!normalized) {
      return std::unexpected(ban_problem{"invalid_identifier", normalized.error().message,
                                         std::string(normalized.error().rule),
                                         std::string(sdk::to_string(*id_type))});
    }
    r.fp = sdk::fingerprint_of(*id_type, *normalized, seed);
  }
  r.reason = std::string(sdk::to_string(sdk::lift_reason::other));
  if (reason) {
    if (!sdk::parse_lift_reason(*reason)) {
      return std::unexpected(
          problem("invalid_reason", "reason must be one of: " + allowed_reason_names(true)));
    }
    r.reason = std::move(*reason);
  }
  if (case_id) {
    const bool control = std::any_of(case_id->begin(), case_id->end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (case_id->size() > kMaxCaseId || control)
      return std::unexpected(problem("invalid_field", "case_id: at most 64 characters, one line"));
    r.case_id = std::move(*case_id);
  }
  return r;
}

std::expected<lift_fields, ban_problem> ndjson_lift_fields(std::string_view line) {
  auto object = parse_json_object(line);
  if (!object)
    return std::unexpected(problem("malformed_json", object.error()));
  if (auto unknown = first_unknown_field(*object, {"fp", "type", "value", "reason", "case_id"}))
    return std::unexpected(problem("unknown_field", "unknown field '" + *unknown + "'"));
  lift_fields f;
  for (std::size_t i = 0; i < f.size(); ++i) {
    auto v = string_field(*object, kLiftColumns[i]);
    if (!v)
      return std::unexpected(problem("invalid_field", v.error()));
    f[i] = std::move(*v);
  }
  return f;
}

std::expected<std::vector<std::size_t>, ban_problem> lift_csv_columns(std::string_view header) {
  if (header.starts_with("\xEF\xBB\xBF"))  // UTF-8 byte order mark
    header.remove_prefix(3);
  auto cells = split_csv(header);
  if (!cells)
    return std::unexpected(cells.error());
  std::vector<std::size_t> columns;
  for (const auto& name : *cells) {
    const auto* found = std::find(std::begin(kLiftColumns), std::end(kLiftColumns), name);
    if (found == std::end(kLiftColumns)) {
      return std::unexpected(problem("unknown_column", "unknown CSV column '" + name +
                                                           "'; columns are: fp, type, value, "
                                                           "reason, case_id"));
    }
    const auto index = static_cast<std::size_t>(found - std::begin(kLiftColumns));
    if (std::find(columns.begin(), columns.end(), index) != columns.end())
      return std::unexpected(problem("duplicate_column", "CSV column '" + name + "' repeated"));
    columns.push_back(index);
  }
  const auto has = [&](std::size_t i) {
    return std::find(columns.begin(), columns.end(), i) != columns.end();
  };
  if (!has(0) && !(has(1) && has(2))) {
    return std::unexpected(
        problem("missing_column", "the CSV header must name the column fp, or type and value"));
  }
  return columns;
}

std::expected<lift_fields, ban_problem> csv_lift_fields(std::string_view line,
                                                        const std::vector<std::size_t>& columns) {
  auto cells = split_csv_row(line, columns.size());
  if (!cells)
    return std::unexpected(cells.error());
  lift_fields f;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (!(*cells)[i].empty())
      f[columns[i]] = std::move((*cells)[i]);
  }
  return f;
}

asio::awaitable<http_response> lift_bulk(request_context& ctx) {
  if (!ctx.state.seed()) {
    auto s = require_store(ctx);
    co_return std::move(*s.failure);
  }
  const std::uint64_t seed = *ctx.state.seed();
  auto columns = std::make_shared<std::vector<std::size_t>>();
  bulk_kind<lift_request, lift_outcome> kind;
  kind.noun = "bulk lift";
  kind.action = "lift_bulk";
  kind.confirmed_action = "lift_bulk_confirmed";
  kind.rejected_status = "invalid";
  kind.done_names = {"lifted", "not_banned"};
  kind.format_help =
      "send Content-Type: text/csv (header naming fp, or type and value; optional reason, "
      "case_id) or application/x-ndjson ({\"fp\"} or {\"type\",\"value\"} per line)";
  kind.csv_header = [columns](std::string_view header) -> std::expected<void, ban_problem> {
    auto parsed = lift_csv_columns(header);
    if (!parsed)
      return std::unexpected(std::move(parsed.error()));
    *columns = std::move(*parsed);
    return {};
  };
  kind.decode = [columns, seed](std::string_view line,
                                bulk_format format) -> std::expected<lift_request, ban_problem> {
    auto fields =
        format == bulk_format::csv ? csv_lift_fields(line, *columns) : ndjson_lift_fields(line);
    if (!fields)
      return std::unexpected(std::move(fields.error()));
    return validate_lift(std::move(*fields), seed);
  };
  kind.fp_of = [](const lift_request& r) { return r.fp; };
  kind.apply = [](std::shared_ptr<store> db, std::vector<lift_request> requests, actor who) {
    return db->lift_many(std::move(requests), std::move(who));
  };
  kind.write_outcome = [](json_writer& out, const fingerprint& fp,
                          const store_result<lift_outcome>& r) -> std::optional<std::size_t> {
    if (r) {
      out.key("status").string("lifted").key("fp").string(r->fp.to_hex()).key("seq").uint(r->seq);
      return 0;
    }
    if (r.error().code == store_errc::not_found) {
      out.key("status").string("not_banned").key("fp").string(fp.to_hex());
      return 1;
    }
    return std::nullopt;
  };
  co_return co_await run_bulk_change(ctx, kind);
}

}  // namespace

void add_lift_bulk_routes(router& r) {
  r.add_streamed(http::verb::post, "/v1/bans/lift", role::moderator, lift_bulk);
}

}  // namespace banlist::service::handlers
