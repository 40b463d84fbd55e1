// GET /v1/status (moderator): the list's head, digest and counts, every
// banlistd's heartbeat (bl:instances) and every partner subscriber's
// acknowledged seq, whichever instance answers (docs/admin-api.md).
#include <chrono>
#include <map>

#include <simdjson.h>

#include "handlers/handlers.hpp"
#include "instance_heartbeat.hpp"
#include "json.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

std::string epoch_text(std::uint64_t epoch) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[epoch & 0xf];
    epoch >>= 4;
  }
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

boost::asio::awaitable<http_response> status(request_context& ctx) {
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  auto log = co_await s.handle->log_state();
  if (!log)
    co_return store_error_response(ctx, log.error(), false);
  auto counts = co_await s.handle->counts();
  if (!counts)
    co_return store_error_response(ctx, counts.error(), false);
  auto by_type = co_await s.handle->banned_by_type();
  if (!by_type)
    co_return store_error_response(ctx, by_type.error(), false);
  auto instances = co_await s.handle->instances();
  if (!instances)
    co_return store_error_response(ctx, instances.error(), false);
  auto keys = co_await s.handle->list_keys();
  if (!keys)
    co_return store_error_response(ctx, keys.error(), false);
  std::map<std::string, std::string> key_names;
  for (const auto& k : *keys)
    key_names[k.id] = k.name;

  const auto now = now_ms();
  json_writer out;
  out.begin_object();
  out.key("epoch").string(epoch_text(ctx.state.epoch()));
  out.key("seq").uint(log->head);
  out.key("head").uint(ctx.state.hub().head());  // what this instance has applied
  out.key("digest").string(log->digest.to_hex());
  out.key("banned").uint(counts->banned);
  out.key("public").uint(counts->is_public);
  out.key("by_type").begin_object();
  for (unsigned code = 1; code < by_type->size(); ++code) {
    const auto name = sdk::to_string(static_cast<sdk::identifier_type>(code));
    if (!sdk::parse_identifier_type(name))
      continue;  // not a type code
    out.key(name).uint((*by_type)[code]);
  }
  out.end_object();

  // Partners come from every instance's heartbeat; collected while the
  // instances are written.
  json_writer partners;
  partners.begin_array();
  out.key("instances").begin_array();
  simdjson::dom::parser parser;
  for (const auto& inst : *instances) {
    simdjson::dom::object beat;
    if (parser.parse(inst.payload).get(beat))
      continue;  // not a heartbeat we understand
    std::uint64_t seq = 0;
    bool ready = false;
    if (beat["seq"].get(seq))
      seq = 0;
    if (beat["ready"].get(ready))
      ready = false;
    out.begin_object();
    out.key("id").string(inst.id);
    out.key("seq").uint(seq);
    out.key("ready").boolean(ready);
    out.key("seen_at").string(format_time_ms(inst.seen_at_ms));
    out.key("stale").boolean(now - inst.seen_at_ms > kInstanceStaleAfter.count());
    out.end_object();
    simdjson::dom::array subs;
    if (beat["partners"].get(subs))
      continue;
    for (auto sub : subs) {
      std::string_view key_id;
      if (sub["key_id"].get(key_id))
        continue;
      std::uint64_t sent = 0;
      if (sub["sent_seq"].get(sent))
        sent = 0;
      std::uint64_t acked = 0;
      const bool has_ack = !sub["acked_seq"].get(acked);
      const std::uint64_t applied = has_ack ? acked : sent;
      partners.begin_object();
      partners.key("key_id").string(key_id);
      const auto name = key_names.find(std::string(key_id));
      partners.key("name").string(name == key_names.end() ? std::string() : name->second);
      if (has_ack) {
        partners.key("acked_seq").uint(acked);
      } else {
        partners.key("acked_seq").null();  // SSE: no acks; lag counts from the seq sent
      }
      partners.key("lag").uint(log->head > applied ? log->head - applied : 0);
      partners.key("instance").string(inst.id);
      std::string_view transport;
      if (!sub["transport"].get(transport))
        partners.key("transport").string(transport);
      partners.end_object();
    }
  }
  out.end_array();
  out.end_object();
  partners.end_array();
  std::string body = out.take();
  body.pop_back();  // reopen the object to add the partners array
  body += R"(,"partners":)";
  body += partners.take();
  body += '}';
  co_return json_response(ctx, http::status::ok, std::move(body));
}

}  // namespace

void add_status_routes(router& r) {
  r.add(http::verb::get, "/v1/status", role::moderator, status);
}

}  // namespace banlist::service::handlers
