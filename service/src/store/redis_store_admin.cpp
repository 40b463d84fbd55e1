// redis_store, issue 7 admin routes: ban history, export pages, filtered
// audit reads, per-type counts and instance heartbeats (see store.hpp for
// the contracts, docs/redis-layout.md for the keys).
#include <algorithm>
#include <chrono>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <simdjson.h>
#include <boost/asio/use_awaitable.hpp>

#include "store/record_codec.hpp"
#include "store/redis_store.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kAuditBatch = 1000;     // entries read per XREVRANGE
constexpr std::size_t kAuditMaxScan = 10000;  // entries examined per call

store_error unexpected_reply(std::string_view what) {
  return to_store_error(failure_kind::unexpected_reply, what);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An archived episode (ban.lua: a JSON array of field/value strings) as a
// field map, completed with what every episode of the fingerprint shares.
store_result<field_map> archived_fields(std::string_view json, const ban_record& current) {
  simdjson::dom::parser parser;
  simdjson::dom::array items;
  if (parser.parse(json.data(), json.size()).get(items))
    return std::unexpected(unexpected_reply("history entry"));
  field_map fields;
  std::string name;
  bool have_name = false;
  for (auto item : items) {
    std::string_view text;
    if (item.get(text))
      return std::unexpected(unexpected_reply("history entry item"));
    if (!have_name) {
      name.assign(text);
    } else {
      fields.emplace(std::move(name), std::string(text));
      name.clear();
    }
    have_name = !have_name;
  }
  if (have_name)
    return std::unexpected(unexpected_reply("history entry length"));
  fields.emplace("type", sdk::to_string(current.type));
  fields.emplace("value", current.value);
  fields.emplace("masked", current.masked);
  fields["status"] = "lifted";  // only lifted episodes are archived
  return fields;
}

// Stream ids are "{ms}-{n}"; the ms part.
std::optional<std::int64_t> id_ms(std::string_view id) {
  return parse_i64(id.substr(0, id.find('-')));
}

}  // namespace

asio::awaitable<store_result<std::optional<ban_history>>> redis_store::history_impl(
    fingerprint fp) {
  const std::string hex = fp.to_hex();
  std::vector<redis_connection::command> cmds{record_read(fp),
                                              {"LRANGE", key("hist:" + hex), "0", "-1"}};
  auto replies = co_await commands_->execute_pipeline(std::move(cmds), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  auto record_reply = reject_error_reply(std::move((*replies)[0]));
  if (!record_reply)
    co_return std::unexpected(record_reply.error());
  auto list_reply = reject_error_reply(std::move((*replies)[1]));
  if (!list_reply)
    co_return std::unexpected(list_reply.error());
  auto current = decode_record_reply(fp, *record_reply);
  if (!current)
    co_return std::unexpected(current.error());
  if (!*current)
    co_return std::optional<ban_history>{};
  const auto* archived = list_reply->array();
  if (!archived)
    co_return std::unexpected(unexpected_reply("history list"));
  ban_history history;
  history.episodes.reserve(archived->size() + 1);
  for (const auto& entry : *archived) {
    const auto* text = entry.string();
    if (!text)
      co_return std::unexpected(unexpected_reply("history entry"));
    auto fields = archived_fields(*text, **current);
    if (!fields)
      co_return std::unexpected(fields.error());
    auto episode = decode_ban_record(fp, *fields);
    if (!episode)
      co_return std::unexpected(episode.error());
    history.episodes.push_back(std::move(*episode));
  }
  history.episodes.push_back(std::move(**current));
  co_return std::optional<ban_history>(std::move(history));
}

asio::awaitable<store_result<export_page>> redis_store::export_records_impl(export_query query) {
  const std::size_t n = std::clamp<std::size_t>(query.limit, 1, 10000);
  // Banned records in ban order (the bl:bans:{n} buckets), lifted ones by
  // lift seq (the bl:lifted sorted set).
  order_page order;
  if (query.status == ban_status::banned) {
    auto read = co_await read_order(query.after_seq, n);
    if (!read)
      co_return std::unexpected(std::move(read.error()));
    order = std::move(*read);
  } else {
    auto read = co_await read_index(key("lifted"), query.after_seq, n);
    if (!read)
      co_return std::unexpected(std::move(read.error()));
    order.entries = std::move(*read);
    order.at_end = order.entries.size() < n;
    if (!order.at_end)
      order.next_after = order.entries.back().first;
  }
  export_page page;
  page.records.reserve(order.entries.size());
  for (auto& [seq, record] : order.entries) {
    // A record that changed status between the range read and HGETALL
    // belongs to the other index now: it is exported from there (or not at
    // all if that walk has passed it; an export is not a point-in-time view).
    if (record && record->status == query.status)
      page.records.push_back(std::move(*record));
  }
  if (!order.at_end)
    page.next_cursor = order.next_after;
  co_return page;
}

asio::awaitable<store_result<audit_page>> redis_store::audit_filtered_impl(audit_query query) {
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 1000);
  std::string upper = "+";
  if (query.until_ms)
    upper = std::to_string(*query.until_ms);  // "{ms}": up to the last entry of that ms
  if (query.before_id) {
    const auto before_ms = id_ms(*query.before_id);
    if (!before_ms || query.before_id->find('-') == std::string::npos)
      co_return std::unexpected(to_store_error(failure_kind::not_found, "invalid audit cursor"));
    if (!query.until_ms || *before_ms <= *query.until_ms)
      upper = "(" + *query.before_id;
  }
  const std::string lower = query.since_ms ? std::to_string(*query.since_ms) : "-";
  audit_page page;
  std::size_t examined = 0;
  while (true) {
    std::vector<std::string> cmd{"XREVRANGE", key("audit"), upper,
                                 lower,       "COUNT",      std::to_string(kAuditBatch)};
    auto reply = co_await command(std::move(cmd));
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
    const auto* entries = reply->array();
    if (!entries)
      co_return std::unexpected(unexpected_reply("XREVRANGE"));
    std::string last_id;
    for (const auto& raw : *entries) {
      auto entry = decode_audit_entry(raw);
      if (!entry)
        co_return std::unexpected(entry.error());
      ++examined;
      last_id = entry->id;
      if ((query.actor && entry->key_id != *query.actor) ||
          (query.action && entry->action != *query.action))
        continue;
      page.entries.push_back(std::move(*entry));
      if (page.entries.size() == limit) {
        page.next_before = page.entries.back().id;
        co_return page;
      }
    }
    if (entries->size() < kAuditBatch)
      co_return page;  // the range is exhausted
    if (examined >= kAuditMaxScan) {
      page.next_before = last_id;  // sparse filter: go on from here
      co_return page;
    }
    upper = "(" + last_id;
  }
}

asio::awaitable<store_result<std::vector<std::uint64_t>>> redis_store::banned_by_type_impl() {
  // One scan of the listing order; not a point-in-time count when bans land
  // meanwhile (the total, bl:bans:count, is exact).
  std::vector<std::uint64_t> counts(256, 0);
  std::function<bool(std::span<const banned_entry>)> count =
      [&counts](std::span<const banned_entry> page) {
        for (const auto& entry : page)
          ++counts[entry.type];
        return true;
      };
  auto scanned = co_await scan_banned_impl(std::move(count));
  if (!scanned)
    co_return std::unexpected(std::move(scanned.error()));
  co_return counts;
}

asio::awaitable<store_result<void>> redis_store::put_instance_impl(
    instance_record record, std::chrono::milliseconds drop_after) {
  const auto now = now_ms();
  std::vector<redis_connection::command> cmds{
      {"HSET", key("instances"), record.id, std::to_string(now) + " " + record.payload},
      {"HGETALL", key("instances")}};
  auto replies = co_await commands_->execute_pipeline(std::move(cmds), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  auto set = reject_error_reply(std::move((*replies)[0]));
  if (!set)
    co_return std::unexpected(set.error());
  auto all = reject_error_reply(std::move((*replies)[1]));
  if (!all)
    co_return std::unexpected(all.error());
  auto fields = to_field_map(*all);
  if (!fields)
    co_return std::unexpected(fields.error());
  std::vector<std::string> drop{"HDEL", key("instances")};
  for (const auto& [id, value] : *fields) {
    const auto seen = parse_i64(std::string_view(value).substr(0, value.find(' ')));
    if (!seen || now - *seen > drop_after.count())
      drop.push_back(id);
  }
  if (drop.size() > 2) {
    auto dropped = co_await command(std::move(drop));
    if (!dropped)
      co_return std::unexpected(std::move(dropped.error()));
  }
  co_return store_result<void>{};
}

asio::awaitable<store_result<std::vector<instance_record>>> redis_store::instances_impl() {
  std::vector<std::string> cmd{"HGETALL", key("instances")};
  auto reply = co_await command(std::move(cmd));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  auto fields = to_field_map(*reply);
  if (!fields)
    co_return std::unexpected(fields.error());
  std::vector<instance_record> out;
  for (auto& [id, value] : *fields) {
    const auto space = value.find(' ');
    const auto seen = parse_i64(std::string_view(value).substr(0, space));
    if (!seen || space == std::string::npos)
      continue;  // not written by put_instance: ignore it
    out.push_back(instance_record{id, *seen, value.substr(space + 1)});
  }
  std::sort(out.begin(), out.end(),
            [](const instance_record& a, const instance_record& b) { return a.id < b.id; });
  co_return out;
}

}  // namespace banlist::service
