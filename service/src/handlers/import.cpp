// POST /v1/bans/import (moderator): bulk ban from CSV or NDJSON, streamed.
// Each line is validated with the rules of POST /v1/bans and applied with
// store::ban_many; the exchange, batching and circuit breaker are
// bulk_stream's (shared with POST /v1/bans/lift).
#include <chrono>

#include "handlers/bulk_stream.hpp"

namespace banlist::service::handlers {
namespace {
namespace asio = boost::asio;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<http_response> import_bans(request_context& ctx) {
  if (!ctx.state.seed()) {
    auto s = require_store(ctx);
    co_return std::move(*s.failure);
  }
  const std::uint64_t seed = *ctx.state.seed();
  const std::string actor_id = ctx.caller ? ctx.caller->id : std::string();
  auto columns = std::make_shared<std::vector<std::size_t>>();
  bulk_kind<ban_record, ban_outcome> kind;
  kind.noun = "bulk import";
  kind.action = "import";
  kind.confirmed_action = "import_confirmed";
  kind.rejected_status = "rejected";
  kind.done_names = {"created", "exists"};
  kind.format_help =
      "send Content-Type: text/csv (with a header line) or "
      "application/x-ndjson (one POST /v1/bans object per line)";
  kind.csv_header = [columns](std::string_view header) -> std::expected<void, ban_problem> {
    auto parsed = csv_columns(header);
    if (!parsed)
      return std::unexpected(std::move(parsed.error()));
    *columns = std::move(*parsed);
    return {};
  };
  kind.decode = [columns, seed, actor_id](
                    std::string_view line,
                    bulk_format format) -> std::expected<ban_record, ban_problem> {
    auto fields =
        format == bulk_format::csv ? csv_ban_fields(line, *columns) : ndjson_ban_fields(line);
    if (!fields)
      return std::unexpected(std::move(fields.error()));
    return validate_ban(std::move(*fields), seed, actor_id, now_ms());
  };
  kind.fp_of = [](const ban_record& r) { return r.fp; };
  kind.apply = [](std::shared_ptr<store> db, std::vector<ban_record> records, actor who) {
    return db->ban_many(std::move(records), std::move(who));
  };
  kind.write_outcome = [](json_writer& out, const fingerprint&,
                          const store_result<ban_outcome>& r) -> std::optional<std::size_t> {
    if (!r)
      return std::nullopt;
    out.key("status").string(r->created ? "created" : "exists");
    out.key("fp").string(r->record.fp.to_hex()).key("seq").uint(r->record.seq);
    return r->created ? 0 : 1;
  };
  co_return co_await run_bulk_change(ctx, kind);
}

}  // namespace

void add_import_routes(router& r) {
  r.add_streamed(http::verb::post, "/v1/bans/import", role::moderator, import_bans);
}

}  // namespace banlist::service::handlers
