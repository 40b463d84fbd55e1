// redis_store, issue 7 part: partner reports (report_file.lua,
// report_accept.lua, report_reject.lua) and ban expiry (expire.lua and the
// bl:expiry index). Key layout in docs/redis-layout.md.
#include <algorithm>
#include <chrono>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/use_awaitable.hpp>

#include "store/record_codec.hpp"
#include "store/redis_store.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kReporterPrefix = "by:";

store_error unexpected_reply(std::string_view what) {
  return to_store_error(failure_kind::unexpected_reply, what);
}

bool is_report_id(std::string_view id) {
  return !id.empty() && id.size() <= 19 && id.front() != '0' && parse_u64(id).has_value();
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

const std::string* find(const field_map& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string get_or_empty(const field_map& fields, const std::string& name) {
  const auto* v = find(fields, name);
  return v ? *v : std::string{};
}

// A report hash (HGETALL) as a record; evidence is read separately.
store_result<report> decode_report(std::string id, const field_map& fields) {
  report r;
  r.id = std::move(id);
  const auto fp = fingerprint::from_hex(get_or_empty(fields, "fp"));
  const auto type = sdk::parse_identifier_type(get_or_empty(fields, "type"));
  const auto created = parse_i64(get_or_empty(fields, "created_at"));
  if (!fp || !type || !created)
    return std::unexpected(unexpected_reply("report record"));
  r.fp = *fp;
  r.type = *type;
  r.created_at_ms = *created;
  r.value = get_or_empty(fields, "value");
  r.masked = get_or_empty(fields, "masked");
  r.reason = get_or_empty(fields, "reason");
  const auto status = get_or_empty(fields, "status");
  if (status == "open") {
    r.status = report_status::open;
  } else if (status == "accepted" || status == "rejected") {
    r.status = status == "accepted" ? report_status::accepted : report_status::rejected;
    const auto decided = parse_i64(get_or_empty(fields, "decided_at"));
    if (!decided)
      return std::unexpected(unexpected_reply("report decided_at"));
    r.decided_at_ms = *decided;
    r.decided_by = get_or_empty(fields, "decided_by");
    r.decision_reason = get_or_empty(fields, "decision");
    if (r.status == report_status::accepted) {
      const auto seq = parse_u64(get_or_empty(fields, "ban_seq"));
      if (!seq)
        return std::unexpected(unexpected_reply("report ban_seq"));
      r.ban_seq = *seq;
    }
  } else {
    return std::unexpected(unexpected_reply("report status"));
  }
  // Reporters are fields "by:{key id}" -> place in the filing order (1, 2, ...).
  std::vector<std::pair<std::int64_t, std::string>> by;
  for (const auto& [name, at] : fields) {
    if (name.starts_with(kReporterPrefix))
      by.emplace_back(parse_i64(at).value_or(0), name.substr(kReporterPrefix.size()));
  }
  std::sort(by.begin(), by.end());
  for (auto& [at, key_id] : by)
    r.reporters.push_back(std::move(key_id));
  return r;
}

store_result<report> report_from(std::string id, const redis_value& hgetall) {
  auto fields = to_field_map(hgetall);
  if (!fields)
    return std::unexpected(fields.error());
  if (fields->empty())
    return std::unexpected(unexpected_reply("report vanished"));
  return decode_report(std::move(id), *fields);
}

// The integer status at the head of a script reply.
store_result<std::int64_t> reply_status(const redis_value& reply, const redis_array*& items) {
  items = reply.array();
  if (!items || items->empty() || !(*items)[0].integer())
    return std::unexpected(unexpected_reply("script reply"));
  return *(*items)[0].integer();
}

}  // namespace

asio::awaitable<store_result<filed_report>> redis_store::file_report_impl(report proposed,
                                                                          actor who) {
  const std::string fp = proposed.fp.to_hex();
  std::vector<std::string> keys{key("rec"),     key("reports_open"), key("report_seq"),
                                key("report:"), key("report_ev:"),   key("reports:open"),
                                key("audit")};
  std::vector<std::string> args{fp,
                                std::string(sdk::to_string(proposed.type)),
                                std::move(proposed.value),
                                std::move(proposed.masked),
                                std::move(proposed.reason),
                                std::move(proposed.evidence),
                                who.key_id,
                                who.address,
                                who.request_id};
  auto mutation = co_await run_mutation(script_id::report_file, std::move(keys), std::move(args));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  const redis_array* items = nullptr;
  auto status = reply_status(mutation->reply, items);
  if (!status)
    co_return std::unexpected(status.error());
  if (*status == 2)
    co_return filed_report{report_filing::already_banned, std::nullopt};
  if ((*status != 0 && *status != 1) || items->size() != 3 || !(*items)[1].string())
    co_return std::unexpected(unexpected_reply("report_file reply"));
  auto record = report_from(*(*items)[1].string(), (*items)[2]);
  if (!record)
    co_return std::unexpected(record.error());
  co_return filed_report{*status == 0 ? report_filing::created : report_filing::joined,
                         std::move(*record)};
}

asio::awaitable<store_result<void>> redis_store::load_evidence(report& r) {
  std::vector<std::string> get{"GET", key("report_ev:" + r.id)};
  auto reply = co_await command(std::move(get));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  if (const auto* text = reply->string())
    r.evidence = *text;
  co_return store_result<void>{};
}

asio::awaitable<store_result<std::optional<report>>> redis_store::get_report_impl(std::string id) {
  if (!is_report_id(id))
    co_return std::optional<report>{};
  std::vector<std::string> hgetall{"HGETALL", key("report:" + id)};
  auto reply = co_await command(std::move(hgetall));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  auto fields = to_field_map(*reply);
  if (!fields)
    co_return std::unexpected(fields.error());
  if (fields->empty())
    co_return std::optional<report>{};
  auto record = decode_report(std::move(id), *fields);
  if (!record)
    co_return std::unexpected(record.error());
  auto evidence = co_await load_evidence(*record);
  if (!evidence)
    co_return std::unexpected(evidence.error());
  co_return std::optional<report>(std::move(*record));
}

asio::awaitable<store_result<report_page>> redis_store::list_reports_impl(report_query query) {
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 1000);
  std::vector<report_status> statuses;
  if (query.status) {
    statuses.push_back(*query.status);
  } else {
    statuses = {report_status::open, report_status::accepted, report_status::rejected};
  }
  // Newest first: each status index read from the cursor down, then merged
  // (an id is in exactly one index). One more than the page tells whether
  // there is a next one.
  const std::string top = query.before_id ? "(" + std::to_string(query.before_id) : "+inf";
  std::vector<redis_connection::command> ranges;
  for (auto s : statuses) {
    ranges.push_back({"ZREVRANGEBYSCORE", key("reports:" + std::string(status_name(s))), top,
                      "-inf", "LIMIT", "0", std::to_string(limit + 1)});
  }
  auto replies = co_await commands_->execute_pipeline(std::move(ranges), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::vector<std::uint64_t> ids;
  for (auto& r : *replies) {
    auto checked = reject_error_reply(std::move(r));
    if (!checked)
      co_return std::unexpected(checked.error());
    const auto* members = checked->array();
    if (!members)
      co_return std::unexpected(unexpected_reply("report index"));
    for (const auto& m : *members) {
      const auto id = m.string() ? parse_u64(*m.string()) : std::nullopt;
      if (!id)
        co_return std::unexpected(unexpected_reply("report index member"));
      ids.push_back(*id);
    }
  }
  std::sort(ids.begin(), ids.end(), std::greater<>());
  report_page page;
  if (ids.size() > limit) {
    ids.resize(limit);
    page.next_cursor = ids.back();
  }
  if (ids.empty())
    co_return page;
  std::vector<redis_connection::command> reads;
  for (auto id : ids)
    reads.push_back({"HGETALL", key("report:" + std::to_string(id))});
  auto records = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!records)
    co_return std::unexpected(std::move(records.error()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto checked = reject_error_reply(std::move((*records)[i]));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto record = report_from(std::to_string(ids[i]), *checked);
    if (!record)
      co_return std::unexpected(record.error());
    page.reports.push_back(std::move(*record));
  }
  co_return page;
}

asio::awaitable<store_result<report_decision>> redis_store::accept_report_impl(std::string id,
                                                                               ban_record ban,
                                                                               actor who) {
  if (!is_report_id(id))
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such report"));
  // ban.lua's keys and arguments first, the report's last (report_accept.lua
  // reads its own from the end).
  auto keys = ban_keys();
  for (auto k : {key("report:" + id), key("reports_open"), key("reports:open"),
                 key("reports:accepted"), key("audit")}) {
    keys.push_back(std::move(k));
  }
  auto args = ban_args(std::span<const ban_record>(&ban, 1), who, "each");
  for (const auto* a : {&id, &who.key_id, &who.address, &who.request_id})
    args.push_back(*a);
  auto mutation = co_await run_mutation(script_id::report_accept, std::move(keys), std::move(args));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  const redis_array* items = nullptr;
  auto status = reply_status(mutation->reply, items);
  if (!status)
    co_return std::unexpected(status.error());
  if (*status == 0)
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such report"));
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  report_decision decision;
  if (*status == 2) {
    if (items->size() != 2)
      co_return std::unexpected(unexpected_reply("report_accept reply"));
    auto record = report_from(id, (*items)[1]);
    if (!record)
      co_return std::unexpected(record.error());
    decision.outcome = report_decision_outcome::already_decided;
    decision.record = std::move(*record);
    co_return decision;
  }
  if (*status != 1 || items->size() != 4 || !(*items)[1].integer())
    co_return std::unexpected(unexpected_reply("report_accept reply"));
  const auto* packed = (*items)[2].string();
  if (!packed)
    co_return std::unexpected(unexpected_reply("report_accept reply"));
  auto ban_record_now = decode_packed_record(ban.fp, *packed);
  if (!ban_record_now)
    co_return std::unexpected(ban_record_now.error());
  auto record = report_from(id, (*items)[3]);
  if (!record)
    co_return std::unexpected(record.error());
  decision.outcome = report_decision_outcome::decided;
  decision.record = std::move(*record);
  decision.ban = ban_outcome{std::move(*ban_record_now), *(*items)[1].integer() == 1};
  co_return decision;
}

asio::awaitable<store_result<report_decision>> redis_store::reject_report_impl(std::string id,
                                                                               std::string reason,
                                                                               actor who) {
  if (!is_report_id(id))
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such report"));
  std::vector<std::string> keys{key("report:" + id), key("reports_open"), key("reports:open"),
                                key("reports:rejected"), key("audit")};
  std::vector<std::string> args{id, std::move(reason), who.key_id, who.address, who.request_id};
  auto mutation = co_await run_mutation(script_id::report_reject, std::move(keys), std::move(args));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  const redis_array* items = nullptr;
  auto status = reply_status(mutation->reply, items);
  if (!status)
    co_return std::unexpected(status.error());
  if (*status == 0)
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such report"));
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  if ((*status != 1 && *status != 2) || items->size() != 2)
    co_return std::unexpected(unexpected_reply("report_reject reply"));
  auto record = report_from(id, (*items)[1]);
  if (!record)
    co_return std::unexpected(record.error());
  report_decision decision;
  decision.outcome =
      *status == 1 ? report_decision_outcome::decided : report_decision_outcome::already_decided;
  decision.record = std::move(*record);
  co_return decision;
}

asio::awaitable<store_result<std::uint64_t>> redis_store::open_report_count_impl() {
  std::vector<std::string> zcard{"ZCARD", key("reports:open")};
  auto reply = co_await command(std::move(zcard));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* n = reply->integer();
  if (!n || *n < 0)
    co_return std::unexpected(unexpected_reply("ZCARD"));
  co_return static_cast<std::uint64_t>(*n);
}

asio::awaitable<store_result<std::vector<fingerprint>>> redis_store::expiring_bans_impl(
    std::int64_t now_s, std::size_t limit) {
  std::vector<std::string> range{"ZRANGEBYSCORE",
                                 key("expiry"),
                                 "-inf",
                                 std::to_string(now_s),
                                 "LIMIT",
                                 "0",
                                 std::to_string(std::max<std::size_t>(limit, 1))};
  auto reply = co_await command(std::move(range));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* members = reply->array();
  if (!members)
    co_return std::unexpected(unexpected_reply("expiry index"));
  std::vector<fingerprint> fps;
  fps.reserve(members->size());
  for (const auto& m : *members) {
    const auto fp = m.string() ? fingerprint::from_hex(*m.string()) : std::nullopt;
    if (!fp)
      co_return std::unexpected(unexpected_reply("expiry index member"));
    fps.push_back(*fp);
  }
  co_return fps;
}

asio::awaitable<store_result<std::optional<lift_outcome>>> redis_store::expire_ban_impl(
    fingerprint fp) {
  // lift.lua's arguments: the lift is by `system` for reason `expired`.
  std::vector<std::string> args{fp.to_hex(), "expired", "system", "", ""};
  auto mutation = co_await run_mutation(script_id::expire, lift_keys(fp), std::move(args));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  const redis_array* items = nullptr;
  auto status = reply_status(mutation->reply, items);
  if (!status)
    co_return std::unexpected(status.error());
  if (*status != 1)
    co_return std::optional<lift_outcome>{};  // not due, or not banned
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  if (items->size() != 3 || !(*items)[1].integer())
    co_return std::unexpected(unexpected_reply("expire reply"));
  co_return std::optional<lift_outcome>(
      lift_outcome{fp, static_cast<std::uint64_t>(*(*items)[1].integer())});
}

}  // namespace banlist::service
