// /v1/check: is this identifier banned? (partner)
//
// A fingerprint that misses the Bloom filter is certainly not banned as of
// the filter's seq: answered from memory, no Redis round trip. A hit may be a
// false positive or a lifted ban, so it is confirmed in Redis (one batched
// call per request). When Redis cannot confirm, the answer says so
// ("confirmed": false) and keeps "banned": true: we never answer "not banned"
// for a hit we could not check.
#include <algorithm>
#include <charconv>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "banlist/sdk/check_binary.hpp"
#include "banlist/sdk/reason.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

// One item to check: either a fingerprint, or why it could not be computed.
struct check_item {
  fingerprint fp;
  std::optional<std::pair<std::string, std::string>> error;  // code, message
};

// Computes the fingerprint of (type, value) or parses `fp`.
check_item resolve(std::optional<std::string_view> type, std::optional<std::string_view> value,
                   std::optional<std::string_view> fp_text, std::uint64_t seed) {
  check_item item;
  if (fp_text) {
    if (type || value) {
      item.error = {"invalid_item", "give either fp, or type and value"};
    } else if (auto fp = fingerprint::from_hex(*fp_text)) {
      item.fp = *fp;
    } else {
      item.error = {"invalid_fingerprint", "fp must be 32 hex digits"};
    }
    return item;
  }
  if (!type || !value) {
    item.error = {"invalid_item", "give either fp, or type and value"};
    return item;
  }
  const auto id_type = sdk::parse_identifier_type(*type);
  if (!id_type) {
    item.error = {"invalid_type", "unknown identifier type '" + std::string(*type) + "'"};
    return item;
  }
  auto normalized = sdk::normalize(*id_type, *value);
  if (!normalized) {
    item.error = {"invalid_identifier",
                  normalized.error().message + " (rule: " + normalized.error().rule + ")"};
    return item;
  }
  item.fp = sdk::fingerprint_of(*id_type, *normalized, seed);
  return item;
}

// The result of one item after the filter and (for hits) Redis.
struct verdict {
  bool banned = false;
  bool confirmed = true;
  const check_answer* answer = nullptr;  // set for hits Redis answered
};

void write_verdict(json_writer& out, const fingerprint& fp, const verdict& v,
                   std::uint64_t filter_seq) {
  char hex[32];
  fp.write_hex(hex);
  out.begin_object().key("fp").string(std::string_view(hex, 32));
  out.key("banned").boolean(v.banned);
  std::uint64_t seq = filter_seq;
  if (v.answer && v.answer->banned) {
    out.key("reason").string(v.answer->reason);
    out.key("since").string(format_time_ms(v.answer->since_ms));
    seq = std::max(seq, v.answer->seq);
  }
  if (!v.confirmed)
    out.key("confirmed").boolean(false);
  out.key("seq").uint(seq);
  out.end_object();
}

// What follows the fingerprint in a miss's answer, `","banned":false,
// "seq":N}`, formatted once per request (a batch appends it 10,000 times).
class miss_tail {
 public:
  explicit miss_tail(std::uint64_t seq) noexcept {
    constexpr std::string_view kHead = R"(","banned":false,"seq":)";
    kHead.copy(text_, kHead.size());
    char* end = std::to_chars(text_ + kHead.size(), text_ + sizeof text_ - 1, seq).ptr;
    *end++ = '}';
    size_ = static_cast<std::size_t>(end - text_);
  }
  std::string_view view() const noexcept { return {text_, size_}; }

 private:
  char text_[48];  // 23 + at most 20 digits + '}'
  std::size_t size_;
};

// The answer write_verdict gives for a miss, byte for byte, without a JSON
// writer: the common answer. It differs between items only in the
// fingerprint, so it is two fixed pieces around the hex.
constexpr std::string_view kMissHead = R"({"fp":")";

// Writes a miss's answer at `out` (kMissHead.size() + 32 + the tail's size
// bytes); returns the end.
char* write_not_banned(char* out, const fingerprint& fp, const miss_tail& tail) noexcept {
  out = std::copy(kMissHead.begin(), kMissHead.end(), out);
  fp.write_hex(out);
  out += 32;
  return std::copy(tail.view().begin(), tail.view().end(), out);
}

void append_not_banned(std::string& out, const fingerprint& fp, const miss_tail& tail) {
  char text[kMissHead.size() + 32 + sizeof(miss_tail)];  // more than the longest tail
  out.append(text, static_cast<std::size_t>(write_not_banned(text, fp, tail) - text));
}

// The places in `fps` the filter may contain (to confirm in Redis).
std::vector<std::size_t> filter_hits(const filter_state& filter,
                                     const std::vector<fingerprint>& fps) {
  std::unique_ptr<bool[]> hit(new bool[fps.size() + 1]);
  filter.may_contain_batch(fps, std::span<bool>(hit.get(), fps.size()));
  std::vector<std::size_t> places;
  for (std::size_t i = 0; i < fps.size(); ++i) {
    if (hit[i])
      places.push_back(i);
  }
  return places;
}

// Runs the filter over `fps` and confirms hits in Redis. `answers` keeps the
// Redis answers alive for the verdicts that point into it.
boost::asio::awaitable<std::vector<verdict>> decide(service_state& state, store& s,
                                                    const std::vector<fingerprint>& fps,
                                                    std::vector<check_answer>& answers,
                                                    bool& degraded) {
  std::vector<verdict> verdicts(fps.size());
  const std::vector<std::size_t> hit_index = filter_hits(state.filter(), fps);
  degraded = !s.connected() || !state.filter().loaded();
  if (hit_index.empty())
    co_return verdicts;
  std::vector<fingerprint> hits;
  hits.reserve(hit_index.size());
  for (std::size_t i : hit_index)
    hits.push_back(fps[i]);
  auto confirmed = co_await s.check(hits);
  if (!confirmed || confirmed->size() != hits.size()) {
    state.metrics().record_store_error(confirmed ? "protocol_error" : "check_failed");
    degraded = true;
    for (std::size_t i : hit_index)
      verdicts[i] = verdict{true, false, nullptr};
    co_return verdicts;
  }
  answers = std::move(*confirmed);
  for (std::size_t j = 0; j < hit_index.size(); ++j) {
    verdicts[hit_index[j]] = verdict{answers[j].banned, true, &answers[j]};
  }
  co_return verdicts;
}

// The item of GET /v1/check: a 400 when the query is wrong.
std::expected<fingerprint, http_response> check_item_of(request_context& ctx) {
  if (auto bad = reject_unknown_params(ctx, {"type", "value", "fp"}))
    return std::unexpected(std::move(*bad));
  auto opt = [&](std::string_view name) -> std::optional<std::string_view> {
    if (const auto* v = ctx.query.find(name))
      return std::string_view(*v);
    return std::nullopt;
  };
  const check_item item = resolve(opt("type"), opt("value"), opt("fp"), *ctx.state.seed());
  if (item.error) {
    return std::unexpected(
        error_response(ctx, http::status::bad_request, item.error->first, item.error->second));
  }
  return item.fp;
}

// The common answer (most sign-ups are not banned): a miss in the filter,
// from memory, without the batch machinery's vectors and coroutine frame.
// Same answer as decide() gives for a miss.
std::optional<http_response> check_miss(request_context& ctx, const store& s,
                                        const fingerprint& fp) {
  // The seq first: a ban the filter gains after it is read is then newer
  // than the answer says it covers.
  const std::uint64_t filter_seq = ctx.state.filter().seq();
  if (!ctx.state.filter().loaded() || ctx.state.filter().may_contain(fp))
    return std::nullopt;
  std::string body;
  body.reserve(128);
  append_not_banned(body, fp, miss_tail(filter_seq));
  if (!s.connected()) {
    body.pop_back();
    body += R"(,"degraded":true})";
  }
  return json_response(ctx, http::status::ok, std::move(body));
}

// GET /v1/check when it can answer at once (route::immediate): a valid
// query whose fingerprint misses the filter. Everything else (errors, hits,
// a service still starting) goes to check_one.
std::optional<http_response> check_one_now(request_context& ctx) {
  const auto s = ctx.state.current_store();
  if (!s || !ctx.state.seed())
    return std::nullopt;
  auto fp = check_item_of(ctx);
  if (!fp)
    return std::nullopt;
  return check_miss(ctx, *s, *fp);
}

boost::asio::awaitable<http_response> check_one(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto item = check_item_of(ctx);
  if (!item)
    co_return std::move(item.error());
  const std::uint64_t filter_seq = ctx.state.filter().seq();
  if (auto miss = check_miss(ctx, *s.handle, *item))
    co_return std::move(*miss);
  const fingerprint fp = *item;
  json_writer out;
  std::vector<fingerprint> fps{fp};
  std::vector<check_answer> answers;
  bool degraded = false;
  auto verdicts = co_await decide(ctx.state, *s.handle, fps, answers, degraded);
  write_verdict(out, fp, verdicts[0], filter_seq);
  std::string body = out.take();
  if (degraded) {
    body.pop_back();
    body += R"(,"degraded":true})";
  }
  co_return json_response(ctx, http::status::ok, std::move(body));
}

// The binary form's answer to `verdicts`. A plain function, as the JSON
// form's: a loop over 10,000 items does not belong in a coroutine body.
std::vector<std::uint8_t> binary_batch_answer(const std::vector<verdict>& verdicts,
                                              std::uint64_t filter_seq, bool degraded) {
  sdk::check_results results;
  results.seq = filter_seq;
  results.degraded = degraded;
  results.verdicts.resize(verdicts.size());
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    const verdict& v = verdicts[i];
    if (!v.banned)
      continue;
    auto& out = results.verdicts[i];
    if (!v.confirmed) {
      out.status = sdk::check_status::banned_unconfirmed;
      continue;
    }
    out.status = sdk::check_status::banned;
    // Reasons are validated on the way in; one stored before that rule
    // travels as `other`, as in deltas.
    out.reason = sdk::parse_reason_code(sdk::change_op::ban, v.answer->reason)
                     .value_or(std::to_underlying(sdk::ban_reason::other));
  }
  std::vector<std::uint8_t> bytes;
  sdk::encode_check_response(results, bytes);
  return bytes;
}

// POST /v1/check in the binary form (sdk/check_binary.hpp): fingerprints in,
// two bytes per answer out, no per-item JSON on either side.
boost::asio::awaitable<http_response> check_batch_binary(request_context& ctx, store& db) {
  const auto& body = ctx.request.body();
  auto fps = sdk::decode_check_request(
      std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
      ctx.state.config().batch_max_items);
  if (!fps) {
    if (fps.error() == sdk::wire_errc::too_large) {
      co_return error_response(
          ctx, http::status::payload_too_large, "too_many_items",
          "at most " + std::to_string(ctx.state.config().batch_max_items) + " items per request");
    }
    co_return error_response(ctx, http::status::bad_request, "malformed_body",
                             "not a valid " + std::string(sdk::kCheckBinaryMediaType) +
                                 " request: " + fps.error().message());
  }
  const std::uint64_t filter_seq = ctx.state.filter().seq();
  std::vector<check_answer> answers;
  bool degraded = false;
  auto verdicts = co_await decide(ctx.state, db, *fps, answers, degraded);
  const std::vector<std::uint8_t> bytes = binary_batch_answer(verdicts, filter_seq, degraded);
  http_response res{http::status::ok, ctx.request.version()};
  res.set(http::field::content_type, std::string(sdk::kCheckBinaryMediaType));
  res.set(http::field::cache_control, "no-store");
  res.body().assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  co_return res;
}

// An item of a JSON batch that could not be checked, by its place.
struct item_error {
  std::size_t index = 0;
  std::string code;
  std::string message;
};

// A JSON batch's items, decoded: the checkable ones' fingerprints in order,
// the others with their place and why.
struct json_batch {
  std::vector<fingerprint> fps;
  std::vector<item_error> errors;
  std::size_t item_count = 0;
};

// Decodes POST /v1/check's JSON body, or answers 400 / 413. A plain
// function, not part of the coroutine: a coroutine keeps its locals in its
// frame, in memory, and this loop runs 10,000 times a request.
std::expected<json_batch, http_response> decode_json_batch(request_context& ctx) {
  const std::uint64_t seed = *ctx.state.seed();
  const std::size_t max_items = ctx.state.config().batch_max_items;
  auto fail = [&](http::status status, std::string_view code, std::string message) {
    return std::unexpected(error_response(ctx, status, code, std::move(message)));
  };
  // The document lives in a per-thread parser: used up before any co_await.
  auto object = parse_json_object(ctx.request.body());
  if (!object)
    return fail(http::status::bad_request, "malformed_json", object.error());
  if (auto unknown = first_unknown_field(*object, {"items"}))
    return fail(http::status::bad_request, "unknown_field", "unknown field '" + *unknown + "'");
  simdjson::dom::array array;
  if ((*object)["items"].get(array))
    return fail(http::status::bad_request, "invalid_field", "items must be an array");
  if (array.size() > max_items) {
    return fail(http::status::payload_too_large, "too_many_items",
                "at most " + std::to_string(max_items) + " items per request");
  }
  json_batch batch;
  // Sized up front and cut to the checked items at the end: push_back was
  // not inlined here and cost 5 % of a batch's CPU.
  batch.fps.resize(array.size());
  std::size_t checked = 0;
  for (simdjson::dom::element element : array) {
    // Only error messages need the item's location.
    const std::size_t at = batch.item_count++;
    auto where = [at] { return "items[" + std::to_string(at) + "]"; };
    simdjson::dom::object item;
    if (element.get(item))
      return fail(http::status::bad_request, "invalid_field", where() + " must be an object");
    // One pass over the item's fields. An unknown field is reported before
    // a known one that is not a string, wherever each stands.
    constexpr std::string_view kNames[3] = {"type", "value", "fp"};
    std::optional<std::string_view> parts[3];
    int not_a_string = -1;
    for (auto field : item) {
      int k = 0;
      while (k < 3 && field.key != kNames[k])
        ++k;
      if (k == 3) {
        return fail(http::status::bad_request, "unknown_field",
                    where() + ": unknown field '" + std::string(field.key) + "'");
      }
      std::string_view text;
      if (field.value.get(text)) {
        if (not_a_string < 0)
          not_a_string = k;
      } else if (!parts[k]) {
        parts[k] = text;
      }
    }
    if (not_a_string >= 0) {
      return fail(http::status::bad_request, "invalid_field",
                  where() + "." + std::string(kNames[not_a_string]) + " must be a string");
    }
    // The common item, a bare fingerprint, straight to its place.
    if (parts[2] && !parts[0] && !parts[1]) {
      if (auto fp = fingerprint::from_hex(*parts[2])) {
        batch.fps[checked++] = *fp;
        continue;
      }
    }
    check_item resolved = resolve(parts[0], parts[1], parts[2], seed);
    if (resolved.error) {
      batch.errors.push_back(
          item_error{at, std::move(resolved.error->first), std::move(resolved.error->second)});
    } else {
      batch.fps[checked++] = resolved.fp;
    }
  }
  batch.fps.resize(checked);
  return batch;
}

// Calls `checked(fp, verdict)` for each item that was checked and
// `failed(error)` for each that was not, in the request's order.
template <class Checked, class Failed>
void for_each_result(const json_batch& batch, const std::vector<verdict>& verdicts, Checked checked,
                     Failed failed) {
  auto error = batch.errors.begin();
  std::size_t next = 0;
  for (std::size_t i = 0; i < batch.item_count; ++i) {
    if (error != batch.errors.end() && error->index == i) {
      failed(*error++);
    } else {
      checked(batch.fps[next], verdicts[next]);
      ++next;
    }
  }
}

// The JSON batch answer, `{"seq":N,"results":[...]}` with one result per
// item. Almost every result is a miss (fixed pieces around a fingerprint);
// the rare others, hits and item errors, go through json_writer first, so
// the body's size is known and it is written in one pass, without a
// capacity check per piece.
std::string json_batch_answer(const json_batch& batch, const std::vector<verdict>& verdicts,
                              std::uint64_t filter_seq, bool degraded) {
  std::string head = R"({"seq":)" + std::to_string(filter_seq);
  if (degraded)
    head += R"(,"degraded":true)";
  head += R"(,"results":[)";
  constexpr std::string_view kEnd = "]}";
  const miss_tail tail(filter_seq);
  const std::size_t miss_size = kMissHead.size() + 32 + tail.view().size();

  std::vector<std::string> rare;
  std::size_t size = head.size() + kEnd.size() + (batch.item_count > 0 ? batch.item_count - 1 : 0);
  for_each_result(
      batch, verdicts,
      [&](const fingerprint& fp, const verdict& v) {
        if (!v.banned) {
          size += miss_size;
          return;
        }
        json_writer out;
        write_verdict(out, fp, v, filter_seq);
        size += rare.emplace_back(out.take()).size();
      },
      [&](const item_error& error) {
        json_writer out;
        out.begin_object().key("error").begin_object();
        out.key("code").string(error.code).key("message").string(error.message);
        out.end_object().end_object();
        size += rare.emplace_back(out.take()).size();
      });

  std::string body;
  body.resize_and_overwrite(size, [&](char* out, std::size_t) {
    char* const start = out;
    out = std::copy(head.begin(), head.end(), out);
    auto next_rare = rare.begin();
    auto rare_one = [&] {
      out = std::copy(next_rare->begin(), next_rare->end(), out);
      ++next_rare;
    };
    bool first = true;
    for_each_result(
        batch, verdicts,
        [&](const fingerprint& fp, const verdict& v) {
          if (!std::exchange(first, false))
            *out++ = ',';
          if (v.banned)
            rare_one();
          else
            out = write_not_banned(out, fp, tail);
        },
        [&](const item_error&) {
          if (!std::exchange(first, false))
            *out++ = ',';
          rare_one();
        });
    out = std::copy(kEnd.begin(), kEnd.end(), out);
    return static_cast<std::size_t>(out - start);
  });
  return body;
}

boost::asio::awaitable<http_response> check_batch(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  if (request_media_type(ctx) == sdk::kCheckBinaryMediaType)
    co_return co_await check_batch_binary(ctx, *s.handle);
  auto batch = decode_json_batch(ctx);
  if (!batch)
    co_return std::move(batch.error());
  std::vector<check_answer> answers;
  bool degraded = false;
  const std::uint64_t filter_seq = ctx.state.filter().seq();
  auto verdicts = co_await decide(ctx.state, *s.handle, batch->fps, answers, degraded);
  co_return json_response(ctx, http::status::ok,
                          json_batch_answer(*batch, verdicts, filter_seq, degraded));
}

}  // namespace

void add_check_routes(router& r) {
  r.add(http::verb::get, "/v1/check", role::partner, check_one_now, check_one);
  r.add(http::verb::post, "/v1/check", role::partner, check_batch);
}

}  // namespace banlist::service::handlers
