// bulk_stream: the streamed bulk change shared by POST /v1/bans/import and
// POST /v1/bans/lift (docs/admin-api.md). A bulk_kind says what one line
// means and which store call applies a batch; run_bulk_change does the rest:
//
// The body is read in chunks (streamed_exchange), cut into lines and each
// line decoded by the kind. Valid lines go to Redis in batches, one
// pipelined write per batch, with several batches in flight, so Redis
// fsyncs once for many changes. Results go back as NDJSON in line order,
// one object per non-blank line, each written only after Redis replied for
// that line, then one summary object.
//
// Circuit breaker: without ?confirm=true the client must declare the number
// of data lines (?lines=N), and a request that could change more than
// max(bulk_change_min, bulk_change_limit % of the list) is refused with 409
// before any line is read. Lines beyond the declared count are rejected. A
// confirmed request is audited before it starts, and every request is
// audited with its counts at the end.
//
// Thread-safety: run_bulk_change runs on its session's strand; the batches
// it spawns touch only their own batch object until they signal it.
#pragma once

#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/handlers.hpp"
#include "handlers/import_lines.hpp"
#include "json.hpp"
#include "service_state.hpp"
#include "streamed_exchange.hpp"

namespace banlist::service::handlers {

enum class bulk_format { csv, ndjson };

// The body format named by Content-Type, or nullopt.
std::optional<bulk_format> bulk_format_of(std::string_view content_type);

// Parses ?confirm= and ?lines=, reads the list size and applies the circuit
// breaker (auditing `confirmed_action` when confirmed). Returns the
// declared line count (nullopt when not given) or the refusal.
struct bulk_admission {
  bool confirm = false;
  std::optional<std::uint64_t> declared;
};
boost::asio::awaitable<std::expected<bulk_admission, http_response>> admit_bulk_change(
    request_context& ctx, store& db, std::string_view noun, std::string_view confirmed_action);

// What one bulk route does with a line. `Item` is what a line decodes to,
// `Outcome` what the store returns for it.
template <class Item, class Outcome>
struct bulk_kind {
  std::string_view noun;                       // "import", "bulk lift" (messages)
  std::string_view action;                     // audit action with the counts at the end
  std::string_view confirmed_action;           // audit action before a confirmed request
  std::string_view rejected_status;            // per-line status of a bad line
  std::array<std::string_view, 2> done_names;  // the two statuses of an applied line
  std::string_view format_help;                // 415 message
  // CSV: reads the header line (once, before any data line).
  std::function<std::expected<void, ban_problem>(std::string_view header)> csv_header;
  // Decodes one data line.
  std::function<std::expected<Item, ban_problem>(std::string_view line, bulk_format format)> decode;
  std::function<fingerprint(const Item&)> fp_of;
  // Applies one batch (one pipelined write).
  std::function<boost::asio::awaitable<store_result<std::vector<store_result<Outcome>>>>(
      std::shared_ptr<store>, std::vector<Item>, actor)>
      apply;
  // Writes the status (and fields) of a line Redis answered for and returns
  // which of done_names it counts as; nullopt (having written nothing) when
  // its outcome is unknown.
  std::function<std::optional<std::size_t>(json_writer&, const fingerprint&,
                                           const store_result<Outcome>&)>
      write_outcome;
};

namespace bulk_detail {

inline constexpr std::size_t kMaxLine = 8192;         // bytes per line, without the line end
inline constexpr std::size_t kReadChunk = 64 * 1024;  // body bytes read at once
inline constexpr std::size_t kBatchItems = 256;       // changes per pipelined write
inline constexpr std::size_t kBatchesInFlight = 8;    // pipelined writes awaiting Redis

// One reported line. A valid line waits for its item's reply.
struct line_result {
  std::uint64_t line = 0;
  std::optional<ban_problem> rejected;
  std::size_t item = 0;  // index into batch::items when not rejected
};

template <class Item, class Outcome>
struct batch {
  explicit batch(boost::asio::any_io_executor ex)
      : signal(ex, boost::asio::steady_timer::time_point::max()) {}
  std::vector<line_result> lines;
  std::vector<Item> items;
  std::vector<fingerprint> fps;  // of items[i], kept: items move into the store call
  bool done = false;
  store_result<std::vector<store_result<Outcome>>> outcome;
  boost::asio::steady_timer signal;  // cancelled when done
};

// `apply` is a copy: the batch may outlive the request (client gone).
template <class Item, class Outcome>
boost::asio::awaitable<void> run_batch(
    std::function<boost::asio::awaitable<store_result<std::vector<store_result<Outcome>>>>(
        std::shared_ptr<store>, std::vector<Item>, actor)>
        apply,
    std::shared_ptr<store> db, std::shared_ptr<batch<Item, Outcome>> b, actor who) {
  auto outcome = co_await apply(std::move(db), std::move(b->items), std::move(who));
  b->outcome = std::move(outcome);
  b->done = true;
  b->signal.cancel();
}

struct totals {
  std::uint64_t lines = 0;
  std::uint64_t rejected = 0;
  std::uint64_t unknown = 0;
  std::array<std::uint64_t, 2> done{};
};

void write_problem(json_writer& out, const ban_problem& p);
void write_unknown(json_writer& out, const fingerprint& fp, const std::string& message);

// Appends the NDJSON results of a finished batch to `text`.
template <class Item, class Outcome>
void write_batch(const bulk_kind<Item, Outcome>& kind, const batch<Item, Outcome>& b,
                 std::string& text, totals& t) {
  for (const auto& l : b.lines) {
    json_writer out;
    out.begin_object().key("line").uint(l.line);
    if (l.rejected) {
      out.key("status").string(kind.rejected_status);
      write_problem(out, *l.rejected);
      ++t.rejected;
    } else if (!b.outcome) {
      write_unknown(out, b.fps[l.item], b.outcome.error().message);
      ++t.unknown;
    } else {
      const auto& r = (*b.outcome)[l.item];
      if (auto counted = kind.write_outcome(out, b.fps[l.item], r)) {
        ++t.done[*counted];
      } else {
        write_unknown(out, b.fps[l.item], r ? std::string("no answer") : r.error().message);
        ++t.unknown;
      }
    }
    out.end_object();
    text += out.take();
    text += '\n';
  }
}

}  // namespace bulk_detail

// Runs one streamed bulk request of `kind` (which must outlive it).
template <class Item, class Outcome>
boost::asio::awaitable<http_response> run_bulk_change(request_context& ctx,
                                                      const bulk_kind<Item, Outcome>& kind) {
  namespace asio = boost::asio;
  using namespace bulk_detail;
  using batch_t = batch<Item, Outcome>;
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {"confirm", "lines"}))
    co_return std::move(*bad);
  if (ctx.exchange == nullptr) {
    co_return error_response(ctx, http::status::internal_server_error, "internal",
                             "bulk route registered without a streamed body");
  }
  const auto ct = ctx.request[http::field::content_type];
  const auto format = bulk_format_of(std::string_view(ct.data(), ct.size()));
  if (!format) {
    co_return error_response(ctx, http::status::unsupported_media_type, "unsupported_media_type",
                             std::string(kind.format_help));
  }
  auto admitted = co_await admit_bulk_change(ctx, *s.handle, kind.noun, kind.confirmed_action);
  if (!admitted)
    co_return std::move(admitted.error());
  const bool confirm = admitted->confirm;
  const auto declared = admitted->declared;

  auto executor = co_await asio::this_coro::executor;
  const actor who = ctx.who();
  line_splitter splitter(kMaxLine);
  bool header_read = false;
  std::deque<std::shared_ptr<batch_t>> in_flight;
  auto current = std::make_shared<batch_t>(executor);
  totals t;
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
    write_batch(kind, *b, out_text, t);
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
    if (current->items.empty()) {
      current->done = true;
    } else {
      asio::co_spawn(executor, run_batch<Item, Outcome>(kind.apply, s.handle, current, who),
                     asio::detached);
    }
    in_flight.push_back(std::move(current));
    current = std::make_shared<batch_t>(executor);
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
      if (*format == bulk_format::csv && !header_read) {
        if (l.oversize) {
          co_return error_response(ctx, http::status::bad_request, "line_too_long",
                                   "the CSV header line is longer than 8192 bytes");
        }
        auto parsed = kind.csv_header(l.text);
        if (!parsed) {
          co_return error_response(
              ctx, http::status::bad_request, parsed.error().code,
              "line " + std::to_string(l.number) + ": " + parsed.error().message);
        }
        header_read = true;
        continue;
      }
      ++t.lines;
      line_result result{l.number, std::nullopt, 0};
      if (l.oversize) {
        result.rejected = ban_problem{
            "line_too_long", "line longer than " + std::to_string(kMaxLine) + " bytes", {}, {}};
      } else if (declared && !confirm && t.lines > *declared) {
        result.rejected =
            ban_problem{"more_lines_than_declared",
                        "the body has more data lines than ?lines=" + std::to_string(*declared) +
                            " declared; this line was not applied",
                        {},
                        {}};
      } else {
        auto item = kind.decode(l.text, *format);
        if (!item) {
          result.rejected = std::move(item.error());
        } else {
          result.item = current->items.size();
          current->fps.push_back(kind.fp_of(*item));
          current->items.push_back(std::move(*item));
        }
      }
      current->lines.push_back(std::move(result));
      if (current->items.size() >= kBatchItems || current->lines.size() >= 4 * kBatchItems)
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
    std::string detail = "format=" + std::string(*format == bulk_format::csv ? "csv" : "ndjson") +
                         " lines=" + std::to_string(t.lines) + " " +
                         std::string(kind.done_names[0]) + "=" + std::to_string(t.done[0]) + " " +
                         std::string(kind.done_names[1]) + "=" + std::to_string(t.done[1]) + " " +
                         std::string(kind.rejected_status) + "=" + std::to_string(t.rejected) +
                         " unknown=" + std::to_string(t.unknown) + (confirm ? " confirmed" : "") +
                         (complete ? "" : " incomplete");
    (void)co_await s.handle->record_audit(std::string(kind.action), "bans", std::move(detail), who);
  }
  if (client_failed)
    co_return error_response(ctx, http::status::bad_request, "client_gone", "connection failed");
  if (!ctx.exchange->response_started()) {
    if (!co_await ctx.exchange->begin_response(http::status::ok, "application/x-ndjson"))
      co_return error_response(ctx, http::status::bad_request, "client_gone", "connection failed");
  }
  json_writer out;
  out.begin_object().key("summary").begin_object();
  out.key("lines").uint(t.lines);
  out.key(kind.done_names[0]).uint(t.done[0]).key(kind.done_names[1]).uint(t.done[1]);
  out.key(kind.rejected_status).uint(t.rejected);
  out.key("unknown").uint(t.unknown).key("complete").boolean(complete);
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

}  // namespace banlist::service::handlers
