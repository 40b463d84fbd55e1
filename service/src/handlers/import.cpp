// POST /v1/bans/import (moderator): bulk ban from CSV or NDJSON, streamed.
//
// The body is read in chunks (streamed_exchange), cut into lines and each
// line validated with the rules of POST /v1/bans. Valid lines go to Redis in
// batches, one pipelined write per batch (store::ban_many), with several
// batches in flight, so Redis fsyncs once for many bans. Results go back as
// NDJSON in line order, one object per non-blank line, each written only
// after Redis replied for that line, then one summary object.
//
// Circuit breaker: without ?confirm=true the client must declare the number
// of data lines (?lines=N), and an import that could change more than
// max(bulk_change_min, bulk_change_limit % of the list) is refused with 409
// before any line is read. Lines beyond the declared count are rejected. A
// confirmed import is audited before it starts.
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <deque>

#include "handlers/handlers.hpp"
#include "handlers/import_lines.hpp"
#include "json.hpp"
#include "service_state.hpp"
#include "streamed_exchange.hpp"

namespace banlist::service::handlers {
namespace {
namespace asio = boost::asio;

constexpr std::size_t kMaxLine = 8192;         // bytes per line, without the line end
constexpr std::size_t kReadChunk = 64 * 1024;  // body bytes read at once
constexpr std::size_t kBatchRecords = 256;     // bans per pipelined write
constexpr std::size_t kBatchesInFlight = 8;    // pipelined writes awaiting Redis

enum class import_format { csv, ndjson };

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One reported line. A valid line waits for its record's reply.
struct line_result {
  std::uint64_t line = 0;
  std::optional<ban_problem> rejected;
  std::size_t record = 0;  // index into batch::records when not rejected
};

struct batch {
  explicit batch(asio::any_io_executor ex) : signal(ex, asio::steady_timer::time_point::max()) {}
  std::vector<line_result> lines;
  std::vector<ban_record> records;
  std::vector<fingerprint> fps;  // records[i].fp, kept: records move into the store call
  bool done = false;
  store_result<std::vector<store_result<ban_outcome>>> outcome;
  asio::steady_timer signal;  // cancelled when done
};

asio::awaitable<void> run_batch(std::shared_ptr<store> db, std::shared_ptr<batch> b, actor who) {
  auto outcome = co_await db->ban_many(std::move(b->records), std::move(who));
  b->outcome = std::move(outcome);
  b->done = true;
  b->signal.cancel();
}

struct import_totals {
  std::uint64_t lines = 0;
  std::uint64_t created = 0;
  std::uint64_t exists = 0;
  std::uint64_t rejected = 0;
  std::uint64_t unknown = 0;
};

void write_problem(json_writer& out, const ban_problem& p) {
  out.key("error").begin_object();
  out.key("code").string(p.code).key("message").string(p.message);
  if (!p.rule.empty())
    out.key("rule").string(p.rule);
  out.end_object();
}

// Appends the NDJSON results of a finished batch to `text`.
void write_batch(const batch& b, std::string& text, import_totals& totals) {
  for (const auto& l : b.lines) {
    json_writer out;
    out.begin_object().key("line").uint(l.line);
    if (l.rejected) {
      out.key("status").string("rejected");
      write_problem(out, *l.rejected);
      ++totals.rejected;
    } else if (!b.outcome) {
      out.key("status").string("unknown").key("fp").string(b.fps[l.record].to_hex());
      write_problem(out, ban_problem{"outcome_unknown", b.outcome.error().message, {}, {}});
      ++totals.unknown;
    } else {
      const auto& r = (*b.outcome)[l.record];
      if (!r) {
        out.key("status").string("unknown").key("fp").string(b.fps[l.record].to_hex());
        write_problem(out, ban_problem{"outcome_unknown", r.error().message, {}, {}});
        ++totals.unknown;
      } else {
        out.key("status").string(r->created ? "created" : "exists");
        out.key("fp").string(r->record.fp.to_hex()).key("seq").uint(r->record.seq);
        ++(r->created ? totals.created : totals.exists);
      }
    }
    out.end_object();
    text += out.take();
    text += '\n';
  }
}

std::optional<import_format> format_of(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto media = content_type.substr(0, semi);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  if (media == "text/csv")
    return import_format::csv;
  if (media == "application/x-ndjson" || media == "application/ndjson" ||
      media == "application/jsonl")
    return import_format::ndjson;
  return std::nullopt;
}

asio::awaitable<http_response> import_bans(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"confirm", "lines"}))
    co_return std::move(*bad);
  if (ctx.exchange == nullptr) {
    co_return error_response(ctx, http::status::internal_server_error, "internal",
                             "import route registered without a streamed body");
  }
  const auto ct = ctx.request[http::field::content_type];
  const auto format = format_of(std::string_view(ct.data(), ct.size()));
  if (!format) {
    co_return error_response(ctx, http::status::unsupported_media_type, "unsupported_media_type",
                             "send Content-Type: text/csv (with a header line) or "
                             "application/x-ndjson (one POST /v1/bans object per line)");
  }
  bool confirm = false;
  if (const auto* c = ctx.query.find("confirm")) {
    if (*c != "true" && *c != "false")
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "confirm must be true or false");
    confirm = *c == "true";
  }
  std::optional<std::uint64_t> declared;
  if (const auto* l = ctx.query.find("lines")) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc{} || end != l->data() + l->size())
      co_return error_response(ctx, http::status::bad_request, "invalid_parameter",
                               "lines must be the number of data lines in the body");
    declared = n;
  }
  const auto& config = ctx.state.config();
  auto counts = co_await s.handle->counts();
  if (!counts)
    co_return store_error_response(ctx, counts.error(), false);
  const auto allowance = std::max<std::uint64_t>(
      config.bulk_change_min,
      static_cast<std::uint64_t>(
          std::floor(static_cast<double>(counts->banned) * config.bulk_change_limit / 100.0)));
  if (!confirm) {
    if (!declared) {
      co_return error_response(
          ctx, http::status::bad_request, "lines_required",
          "declare the number of data lines with ?lines=N (the circuit breaker needs it), or "
          "pass ?confirm=true for a deliberate large change");
    }
    if (*declared > allowance) {
      co_return error_response(
          ctx, http::status::conflict, "bulk_change_limit",
          "this import of " + std::to_string(*declared) + " lines could change more than " +
              std::to_string(allowance) + " bans (" + std::to_string(config.bulk_change_limit) +
              "% of the " + std::to_string(counts->banned) + " banned, at least " +
              std::to_string(config.bulk_change_min) +
              "); check the file, then repeat with ?confirm=true (banctl import --confirm)");
    }
  } else {
    std::string detail = "confirmed bulk import: list=" + std::to_string(counts->banned) +
                         " allowance=" + std::to_string(allowance);
    if (declared)
      detail += " lines=" + std::to_string(*declared);
    auto audited = co_await s.handle->record_audit("import_confirmed", "bans", detail, ctx.who());
    if (!audited)
      co_return store_error_response(ctx, audited.error(), true);
  }

  auto executor = co_await asio::this_coro::executor;
  const actor who = ctx.who();
  const std::uint64_t seed = *ctx.state.seed();
  const std::string actor_id = ctx.caller ? ctx.caller->id : std::string();
  line_splitter splitter(kMaxLine);
  std::optional<std::vector<std::size_t>> columns;
  std::deque<std::shared_ptr<batch>> in_flight;
  auto current = std::make_shared<batch>(executor);
  import_totals totals;
  std::uint64_t data_lines = 0;
  bool store_failed = false;
  bool client_failed = false;
  std::string chunk;
  std::vector<body_line> lines;
  std::string out_text;

  // Writes the oldest batch's results once Redis replied for it.
  auto settle_oldest = [&]() -> asio::awaitable<void> {
    auto b = in_flight.front();
    in_flight.pop_front();
    if (!b->done) {
      boost::system::error_code ec;
      co_await b->signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!b->outcome)
      store_failed = true;
    out_text.clear();
    write_batch(*b, out_text, totals);
    if (!ctx.exchange->response_started()) {
      if (!co_await ctx.exchange->begin_response(http::status::ok, "application/x-ndjson"))
        client_failed = true;
    }
    if (!client_failed && !co_await ctx.exchange->write_chunk(out_text))
      client_failed = true;
  };
  auto launch = [&]() -> asio::awaitable<void> {
    if (current->lines.empty())
      co_return;
    if (current->records.empty()) {
      current->done = true;
    } else {
      asio::co_spawn(executor, run_batch(s.handle, current, who), asio::detached);
    }
    in_flight.push_back(std::move(current));
    current = std::make_shared<batch>(executor);
    while (in_flight.size() > kBatchesInFlight && !client_failed)
      co_await settle_oldest();
  };

  bool body_ended = false;
  while (!body_ended && !store_failed && !client_failed) {
    chunk.clear();
    lines.clear();
    auto n = co_await ctx.exchange->read_body(chunk, kReadChunk);
    if (!n) {
      client_failed = true;
      break;
    }
    if (*n == 0) {
      splitter.finish(lines);
      body_ended = true;
    } else {
      splitter.feed(chunk, lines);
    }
    for (auto& l : lines) {
      if (!l.oversize && blank_line(l.text))
        continue;
      if (*format == import_format::csv && !columns) {
        if (l.oversize) {
          co_return error_response(ctx, http::status::bad_request, "line_too_long",
                                   "the CSV header line is longer than 8192 bytes");
        }
        auto parsed = csv_columns(l.text);
        if (!parsed) {
          co_return error_response(
              ctx, http::status::bad_request, parsed.error().code,
              "line " + std::to_string(l.number) + ": " + parsed.error().message);
        }
        columns = std::move(*parsed);
        continue;
      }
      ++totals.lines;
      ++data_lines;
      line_result result{l.number, std::nullopt, 0};
      if (l.oversize) {
        result.rejected = ban_problem{
            "line_too_long", "line longer than " + std::to_string(kMaxLine) + " bytes", {}, {}};
      } else if (declared && !confirm && data_lines > *declared) {
        result.rejected =
            ban_problem{"more_lines_than_declared",
                        "the body has more data lines than ?lines=" + std::to_string(*declared) +
                            " declared; this line was not applied",
                        {},
                        {}};
      } else {
        auto fields = *format == import_format::csv ? csv_ban_fields(l.text, *columns)
                                                    : ndjson_ban_fields(l.text);
        std::expected<ban_record, ban_problem> record =
            fields ? validate_ban(std::move(*fields), seed, actor_id, now_ms())
                   : std::expected<ban_record, ban_problem>(std::unexpected(fields.error()));
        if (!record) {
          result.rejected = std::move(record.error());
        } else {
          result.record = current->records.size();
          current->fps.push_back(record->fp);
          current->records.push_back(std::move(*record));
        }
      }
      current->lines.push_back(std::move(result));
      if (current->records.size() >= kBatchRecords || current->lines.size() >= 4 * kBatchRecords)
        co_await launch();
      if (client_failed)
        break;
    }
    // Do not hold lines back while waiting for more input.
    co_await launch();
  }
  co_await launch();
  while (!in_flight.empty() && !client_failed)
    co_await settle_oldest();

  const bool complete = body_ended && !store_failed && !client_failed;
  {
    std::string detail = "format=" + std::string(*format == import_format::csv ? "csv" : "ndjson") +
                         " lines=" + std::to_string(totals.lines) +
                         " created=" + std::to_string(totals.created) +
                         " exists=" + std::to_string(totals.exists) +
                         " rejected=" + std::to_string(totals.rejected) +
                         " unknown=" + std::to_string(totals.unknown) +
                         (confirm ? " confirmed" : "") + (complete ? "" : " incomplete");
    (void)co_await s.handle->record_audit("import", "bans", std::move(detail), who);
  }
  if (client_failed)
    co_return error_response(ctx, http::status::bad_request, "client_gone", "connection failed");
  if (!ctx.exchange->response_started()) {
    if (!co_await ctx.exchange->begin_response(http::status::ok, "application/x-ndjson"))
      co_return error_response(ctx, http::status::bad_request, "client_gone", "connection failed");
  }
  json_writer out;
  out.begin_object().key("summary").begin_object();
  out.key("lines").uint(totals.lines).key("created").uint(totals.created);
  out.key("exists").uint(totals.exists).key("rejected").uint(totals.rejected);
  out.key("unknown").uint(totals.unknown).key("complete").boolean(complete);
  out.key("confirmed").boolean(confirm);
  if (!complete) {
    out.key("message").string(store_failed
                                  ? "Redis did not answer; lines from the first unknown one on "
                                    "were not acknowledged: resume from there"
                                  : "the request body ended early");
  }
  out.end_object().end_object();
  std::string text = out.take();
  text += '\n';
  (void)co_await ctx.exchange->write_chunk(text);
  co_return error_response(ctx, http::status::ok, "streamed", "");  // ignored: response started
}

}  // namespace

void add_import_routes(router& r) {
  r.add_streamed(http::verb::post, "/v1/bans/import", role::moderator, import_bans);
}

}  // namespace banlist::service::handlers
