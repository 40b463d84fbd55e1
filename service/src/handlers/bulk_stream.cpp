#include "handlers/bulk_stream.hpp"

#include <charconv>
#include <cmath>

namespace banlist::service::handlers {

std::optional<bulk_format> bulk_format_of(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto media = content_type.substr(0, semi);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  if (media == "text/csv")
    return bulk_format::csv;
  if (media == "application/x-ndjson" || media == "application/ndjson" ||
      media == "application/jsonl")
    return bulk_format::ndjson;
  return std::nullopt;
}

boost::asio::awaitable<std::expected<bulk_admission, http_response>> admit_bulk_change(
    request_context& ctx, store& db, std::string_view noun, std::string_view confirmed_action) {
  bulk_admission a;
  if (const auto* c = ctx.query.find("confirm")) {
    if (*c != "true" && *c != "false")
      co_return std::unexpected(error_response(ctx, http::status::bad_request, "invalid_parameter",
                                               "confirm must be true or false"));
    a.confirm = *c == "true";
  }
  if (const auto* l = ctx.query.find("lines")) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc{} || end != l->data() + l->size())
      co_return std::unexpected(
          error_response(ctx, http::status::bad_request, "invalid_parameter",
                         "lines must be the number of data lines in the body"));
    a.declared = n;
  }
  const auto& config = ctx.state.config();
  auto counts = co_await db.counts();
  if (!counts)
    co_return std::unexpected(store_error_response(ctx, counts.error(), false));
  const auto allowance = std::max<std::uint64_t>(
      config.bulk_change_min,
      static_cast<std::uint64_t>(
          std::floor(static_cast<double>(counts->banned) * config.bulk_change_limit / 100.0)));
  if (!a.confirm) {
    if (!a.declared) {
      co_return std::unexpected(error_response(
          ctx, http::status::bad_request, "lines_required",
          "declare the number of data lines with ?lines=N (the circuit breaker needs it), or "
          "pass ?confirm=true for a deliberate large change"));
    }
    if (*a.declared > allowance) {
      co_return std::unexpected(error_response(
          ctx, http::status::conflict, "bulk_change_limit",
          "this " + std::string(noun) + " of " + std::to_string(*a.declared) +
              " lines could change more than " + std::to_string(allowance) + " bans (" +
              std::to_string(config.bulk_change_limit) + "% of the " +
              std::to_string(counts->banned) + " banned, at least " +
              std::to_string(config.bulk_change_min) +
              "); check the file, then repeat with ?confirm=true (banctl --confirm)"));
    }
  } else {
    std::string detail = "confirmed " + std::string(noun) +
                         ": list=" + std::to_string(counts->banned) +
                         " allowance=" + std::to_string(allowance);
    if (a.declared)
      detail += " lines=" + std::to_string(*a.declared);
    auto audited = co_await db.record_audit(std::string(confirmed_action), "bans",
                                            std::move(detail), ctx.who());
    if (!audited)
      co_return std::unexpected(store_error_response(ctx, audited.error(), true));
  }
  co_return a;
}

namespace bulk_detail {

void write_problem(json_writer& out, const ban_problem& p) {
  out.key("error").begin_object();
  out.key("code").string(p.code).key("message").string(p.message);
  if (!p.rule.empty())
    out.key("rule").string(p.rule);
  out.end_object();
}

void write_unknown(json_writer& out, const fingerprint& fp, const std::string& message) {
  out.key("status").string("unknown").key("fp").string(fp.to_hex());
  write_problem(out, ban_problem{"outcome_unknown", message, {}, {}});
}

}  // namespace bulk_detail
}  // namespace banlist::service::handlers
