#include "store/redis_store.hpp"

#include <algorithm>

#include <boost/asio/use_awaitable.hpp>

#include "banlist/sdk/reason.hpp"
#include "store/record_codec.hpp"
#include "store/resp.hpp"
#include "store/scripts.hpp"
#include "store/secrets.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kMigrateCount = 1000;  // older layouts' entries moved per script run
constexpr std::size_t kListMaxScan = 10000;  // seqs examined per list() call
// The listing order's buckets: bl:bans:{seq / 128} (ban.lua, lift.lua and
// migrate_order.lua use the same 128), and how many one read_order() reads.
// Small enough to stay listpacks (sequential memory), which Redis reads
// several times faster than a large hashtable (docs/redis-layout.md).
constexpr std::uint64_t kOrderBucketSeqs = 128;
constexpr std::size_t kOrderMaxBuckets = 256;
// Order buckets per pipeline of the banned-set scan (~16k bans when full),
// and per run of migrate_order_codes.lua.
constexpr std::uint64_t kScanBucketsPerRead = 128;
constexpr std::uint64_t kMigrateOrderBuckets = 64;
// Every how many seqs a change-log entry stores its digest (change.lua's
// kDigestEvery; trim_log.lua keeps the oldest entry one of those).
constexpr std::uint64_t kLogDigestEvery = 16;
// Layout 7's banned set: 65,536 bucket hashes bl:banned:{first four hex
// digits of the fp} and the bitmap of the non-empty ones (8 KiB), which
// the layout 8 migration deletes.
constexpr std::uint32_t kBannedBuckets = 65536;
// The layout a new list starts at and an older one is migrated to, in
// bl:layout (docs/redis-layout.md): 4 = records packed into buckets, 5 =
// the notice board walks the listing order (no indexes of its own), 6 =
// change-log entries packed (change.lua), 7 = audit entries packed
// (audit.lua), 8 = the listing order is the banned set's one index (no
// bl:banned buckets). 6 and 7 need no migration: their readers take both
// forms.
constexpr std::uint64_t kLayout = 8;

// A SCAN MATCH pattern that matches `text` literally.
std::string glob_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

store_error unexpected_reply(std::string_view what) {
  return to_store_error(failure_kind::unexpected_reply, what);
}

std::string seq_string(std::uint64_t seq) {
  return std::to_string(seq);
}

// Decodes the entries of an XRANGE or XREAD reply onto the end of `out`.
store_result<void> append_changes(const redis_array& entries, std::vector<change>& out) {
  out.reserve(out.size() + entries.size());
  for (const auto& entry : entries) {
    auto c = decode_change(entry);
    if (!c)
      return std::unexpected(c.error());
    out.push_back(std::move(*c));
  }
  return {};
}

bool is_stream_id(std::string_view id) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos)
    return false;
  return parse_u64(id.substr(0, dash)) && parse_u64(id.substr(dash + 1));
}

// Reads the array reply of a script as [status, payload...].
store_result<const redis_array*> script_reply(const redis_value& value) {
  const auto* items = value.array();
  if (!items || items->empty() || !(*items)[0].integer()) {
    return std::unexpected(unexpected_reply("script reply"));
  }
  return items;
}

// The two bytes bl:banned keeps per fingerprint: type code, ban reason code.
// The HTTP layer accepts only wire reason names; a record written by other
// means gets `other`, so a snapshot never carries an invalid code.
std::string banned_codes(sdk::identifier_type type, std::string_view reason) {
  const auto code = sdk::parse_reason(reason).value_or(sdk::ban_reason::other);
  std::string out(2, '\0');
  out[0] = static_cast<char>(static_cast<std::uint8_t>(type));
  out[1] = static_cast<char>(static_cast<std::uint8_t>(code));
  return out;
}

// A fingerprint as the banned buckets and the listing order name it: its
// 16 raw bytes (layout 6), or its hex (layouts 5 and older, whose entries
// stay until lifted).
std::optional<fingerprint> fingerprint_of_field(std::string_view field) {
  return field.size() == 16 ? fingerprint_of_bytes(field) : fingerprint::from_hex(field);
}

}  // namespace

redis_store::redis_store(asio::any_io_executor executor, redis_endpoint endpoint,
                         store_options options)
    : options_(std::move(options)) {
  scripts_[static_cast<std::size_t>(script_id::ban)].source = scripts::ban;
  scripts_[static_cast<std::size_t>(script_id::lift)].source = scripts::lift;
  scripts_[static_cast<std::size_t>(script_id::key_create)].source = scripts::key_create;
  scripts_[static_cast<std::size_t>(script_id::key_revoke)].source = scripts::key_revoke;
  scripts_[static_cast<std::size_t>(script_id::init_list)].source = scripts::init_list;
  scripts_[static_cast<std::size_t>(script_id::trim_log)].source = scripts::trim_log;
  scripts_[static_cast<std::size_t>(script_id::public_page)].source = scripts::public_page;
  scripts_[static_cast<std::size_t>(script_id::bulletin_put)].source = scripts::bulletin_put;
  scripts_[static_cast<std::size_t>(script_id::bulletin_withdraw)].source =
      scripts::bulletin_withdraw;
  scripts_[static_cast<std::size_t>(script_id::migrate_order_codes)].source =
      scripts::migrate_order_codes;
  scripts_[static_cast<std::size_t>(script_id::migrate_order)].source = scripts::migrate_order;
  scripts_[static_cast<std::size_t>(script_id::migrate_records)].source = scripts::migrate_records;
  scripts_[static_cast<std::size_t>(script_id::migrate_public)].source = scripts::migrate_public;
  scripts_[static_cast<std::size_t>(script_id::expire)].source = scripts::expire;
  scripts_[static_cast<std::size_t>(script_id::report_file)].source = scripts::report_file;
  scripts_[static_cast<std::size_t>(script_id::report_reject)].source = scripts::report_reject;
  scripts_[static_cast<std::size_t>(script_id::report_accept)].source = scripts::report_accept;
  redis_connection::config cfg;
  cfg.endpoint = endpoint;
  cfg.handshake_timeout = options_.command_timeout;
  cfg.reconnect_min = options_.reconnect_min;
  cfg.reconnect_max = options_.reconnect_max;
  for (auto& s : scripts_) {
    s.sha1 = sha1_hex(s.source);
    cfg.scripts.emplace_back(s.source);
  }
  if (!options_.sentinel.sentinels.empty()) {
    // Both connections ask Sentinel before every connect and verify ROLE;
    // +switch-master makes them move at once.
    sentinel_ = sentinel_resolver::create(executor, options_.sentinel, endpoint);
    cfg.discover = [resolver = sentinel_] { return resolver->resolve(); };
    cfg.require_primary = true;
  }
  commands_ = redis_connection::create(executor, cfg);
  cfg.scripts.clear();
  blocking_ = redis_connection::create(executor, cfg);
  if (sentinel_ && options_.read_from_replicas) {
    redis_connection::config replica_cfg = cfg;
    replica_cfg.require_primary = false;
    replica_cfg.discover = [resolver = sentinel_] { return resolver->resolve_replica(); };
    replica_ = redis_connection::create(executor, replica_cfg);
  }
  if (sentinel_) {
    sentinel_->watch([commands = std::weak_ptr(commands_), blocking = std::weak_ptr(blocking_)](
                         const std::string& host, std::uint16_t port) {
      if (auto c = commands.lock())
        c->follow_switch(host, port);
      if (auto b = blocking.lock())
        b->follow_switch(host, port);
    });
  }
}

redis_store::~redis_store() {
  if (sentinel_)
    sentinel_->close();
  if (replica_)
    replica_->close();
  commands_->close();
  blocking_->close();
}

asio::awaitable<void> redis_store::close() {
  if (sentinel_)
    sentinel_->close();
  if (replica_)
    co_await replica_->close_and_wait();
  co_await commands_->close_and_wait();
  co_await blocking_->close_and_wait();
}

asio::awaitable<store_result<void>> redis_store::wait_ready() {
  return commands_->wait_connected(options_.command_timeout);
}

bool redis_store::connected() const noexcept {
  return commands_->connected();
}

std::string redis_store::key(std::string_view suffix) const {
  std::string k = options_.key_prefix;
  k.append(suffix);
  return k;
}

std::vector<std::string> redis_store::ban_keys() const {
  return {key("rec"),    key("seq"),    key("log"),   key("banned"),         key("public"),
          key("bans"),   key("digest"), key("audit"), key("public_version"), key("pubidx"),
          key("expiry"),  // issue 7: expiry index (KEYS[11])
          key("lifted"),  // issue 7: lifted records by lift seq (KEYS[12])
          key("hist:")};  // issue 7: archived episodes, + fp (KEYS[13])
}

std::vector<std::string> redis_store::lift_keys(const fingerprint& fp) const {
  // lift.lua takes the history key itself; the rest are ban.lua's.
  auto keys = ban_keys();
  keys[12].append(fp.to_hex());
  return keys;
}

std::vector<std::string> redis_store::record_read(const fingerprint& fp) const {
  return {"HGET", key("rec:" + fp.to_hex().substr(0, 4)), fingerprint_bytes(fp)};
}

store_result<std::optional<ban_record>> redis_store::decode_record_reply(const fingerprint& fp,
                                                                         const redis_value& reply) {
  if (reply.is_nil())
    return std::optional<ban_record>{};
  const auto* packed = reply.string();
  if (!packed)
    return std::unexpected(unexpected_reply("record"));
  auto record = decode_packed_record(fp, *packed);
  if (!record)
    return std::unexpected(record.error());
  return std::optional<ban_record>(std::move(*record));
}

asio::awaitable<store_result<redis_value>> redis_store::command(std::vector<std::string> args) {
  auto reply = co_await commands_->execute(std::move(args), options_.command_timeout);
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  co_return reject_error_reply(std::move(*reply));
}

asio::awaitable<store_result<redis_value>> redis_store::run_script(script_id id,
                                                                   std::vector<std::string> keys,
                                                                   std::vector<std::string> args) {
  const auto& s = scripts_[static_cast<std::size_t>(id)];
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back("EVALSHA");
  cmd.push_back(s.sha1);
  cmd.push_back(std::to_string(keys.size()));
  for (auto& k : keys)
    cmd.push_back(std::move(k));
  for (auto& a : args)
    cmd.push_back(std::move(a));
  auto reply = co_await commands_->execute(cmd, options_.command_timeout);
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  if (const auto* error = reply->error(); error && error->message.starts_with("NOSCRIPT")) {
    // Redis restarted without its script cache (or SCRIPT FLUSH): nothing
    // ran, so sending the body is safe. EVAL also caches it again.
    cmd[0] = "EVAL";
    cmd[1] = std::string(s.source);
    reply = co_await commands_->execute(std::move(cmd), options_.command_timeout);
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
  }
  co_return reject_error_reply(std::move(*reply));
}

asio::awaitable<store_result<redis_store::mutation_reply>> redis_store::run_mutation(
    script_id id, std::vector<std::string> keys, std::vector<std::string> args) {
  if (options_.replica_acks == 0) {
    auto reply = co_await run_script(id, std::move(keys), std::move(args));
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
    co_return mutation_reply{std::move(*reply), std::nullopt};
  }
  const auto& s = scripts_[static_cast<std::size_t>(id)];
  std::vector<std::string> script;
  script.reserve(3 + keys.size() + args.size());
  script.push_back("EVALSHA");
  script.push_back(s.sha1);
  script.push_back(std::to_string(keys.size()));
  for (auto& k : keys)
    script.push_back(std::move(k));
  for (auto& a : args)
    script.push_back(std::move(a));
  // WAIT right behind the script on the same connection: it waits for the
  // replication offset this connection reached, i.e. the script's writes.
  const std::vector<std::string> wait{"WAIT", std::to_string(options_.replica_acks),
                                      std::to_string(options_.replica_ack_timeout.count())};
  const auto timeout = options_.command_timeout + options_.replica_ack_timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::vector<std::vector<std::string>> batch{script, wait};
    auto replies = co_await commands_->execute_pipeline(std::move(batch), timeout);
    if (!replies)
      co_return std::unexpected(std::move(replies.error()));
    if (replies->size() != 2)
      co_return std::unexpected(unexpected_reply("script + WAIT"));
    auto& script_reply_value = (*replies)[0];
    if (const auto* error = script_reply_value.error();
        error && error->message.starts_with("NOSCRIPT") && attempt == 0) {
      // Nothing ran: send the body instead (EVAL also caches it again).
      script[0] = "EVAL";
      script[1] = std::string(s.source);
      continue;
    }
    auto checked = reject_error_reply(std::move(script_reply_value));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto acked = reject_error_reply(std::move((*replies)[1]));
    if (!acked) {
      // The script ran; whether it reached a replica is unknown.
      co_return std::unexpected(to_store_error(failure_kind::deadline,
                                               "WAIT failed after the "
                                               "write: " +
                                                   acked.error().message));
    }
    if (!acked->integer())
      co_return std::unexpected(unexpected_reply("WAIT reply"));
    co_return mutation_reply{std::move(*checked), *acked->integer()};
  }
  co_return std::unexpected(unexpected_reply("NOSCRIPT after EVAL"));
}

std::optional<store_error> redis_store::replication_shortfall(const mutation_reply& m) const {
  if (!m.acks || *m.acks >= static_cast<std::int64_t>(options_.replica_acks))
    return std::nullopt;
  // Applied on the primary but not known to be on enough replicas: a
  // failover now could lose it, so it is not acknowledged. A retry is safe.
  return store_error{store_errc::outcome_unknown,
                     "applied on the primary but acknowledged by " + std::to_string(*m.acks) +
                         " of " + std::to_string(options_.replica_acks) + " replicas within " +
                         std::to_string(options_.replica_ack_timeout.count()) + " ms"};
}

asio::awaitable<store_result<list_identity>> redis_store::init_list_impl(std::uint64_t seed) {
  std::vector<std::string> keys{key("seed"), key("epoch"), key("layout")};
  std::vector<std::string> args{std::to_string(seed), std::to_string(random_nonzero_u64()),
                                std::to_string(kLayout)};
  auto reply = co_await run_script(script_id::init_list, std::move(keys), std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* items = reply->array();
  if (!items || items->size() != 3 || !(*items)[0].string() || !(*items)[1].string() ||
      !(*items)[2].string()) {
    co_return std::unexpected(unexpected_reply("init_list"));
  }
  const auto stored_seed = parse_u64(*(*items)[0].string());
  const auto epoch = parse_u64(*(*items)[1].string());
  if (!stored_seed || !epoch)
    co_return std::unexpected(unexpected_reply("seed/epoch"));
  // A list written by a layout 2 banlistd keeps its listing order in one
  // sorted set: move it into the buckets before anything reads them (one
  // cheap script call when there is nothing to move).
  auto ordered = co_await migrate_order();
  if (!ordered)
    co_return std::unexpected(std::move(ordered.error()));
  // And what later layouts changed, once (the layout marker says when done).
  auto migrated_layout = co_await migrate_layout(*(*items)[2].string());
  if (!migrated_layout)
    co_return std::unexpected(std::move(migrated_layout.error()));
  co_return list_identity{*epoch, *stored_seed};
}

asio::awaitable<store_result<ban_outcome>> redis_store::ban_impl(ban_record proposed, actor who) {
  const std::span<const ban_record> one(&proposed, 1);
  auto mutation = co_await run_mutation(script_id::ban, ban_keys(), ban_args(one, who, "each"));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  // Even "already banned" waits for the replicas: the existing record may
  // come from an earlier attempt that was never acknowledged.
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  auto outcomes = decode_ban_reply(one, who, mutation->reply);
  if (!outcomes)
    co_return std::unexpected(std::move(outcomes.error()));
  co_return std::move(outcomes->front());
}

std::vector<std::string> redis_store::ban_args(std::span<const ban_record> proposed,
                                               const actor& who, std::string_view audit_mode) {
  std::vector<std::string> args;
  args.reserve(5 + 11 * proposed.size());
  args.push_back(who.key_id);
  args.push_back(who.address);
  args.push_back(who.request_id);
  args.emplace_back(audit_mode);
  args.push_back(std::to_string(proposed.size()));
  for (const auto& p : proposed) {
    args.push_back(p.fp.to_hex());
    args.emplace_back(sdk::to_string(p.type));
    args.push_back(p.value);
    args.push_back(p.masked);
    args.push_back(p.reason);
    args.push_back(p.note);
    args.push_back(p.case_id);
    args.push_back(p.source);
    args.push_back(p.is_public ? "1" : "0");
    args.push_back(p.expires_at ? std::to_string(*p.expires_at) : std::string());
    args.push_back(banned_codes(p.type, p.reason));
  }
  return args;
}

store_result<std::vector<store_result<ban_outcome>>> redis_store::decode_ban_reply(
    std::span<const ban_record> proposed, const actor& who, const redis_value& reply) {
  auto items = script_reply(reply);
  if (!items)
    return std::unexpected(items.error());
  const auto& list = **items;
  if (list.size() != proposed.size() + 1 || !list[0].integer())
    return std::unexpected(unexpected_reply("ban reply"));
  const std::int64_t banned_at_ms = *list[0].integer();
  std::vector<store_result<ban_outcome>> out;
  out.reserve(proposed.size());
  for (std::size_t i = 0; i < proposed.size(); ++i) {
    const redis_value& r = list[i + 1];
    if (const auto* seq = r.integer()) {
      // Applied now: the record is what we proposed plus what the script
      // added (time, actor, seq), so the script need not send it back.
      ban_record record = proposed[i];
      record.banned_at_ms = banned_at_ms;
      record.banned_by = who.key_id;
      record.seq = static_cast<std::uint64_t>(*seq);
      record.status = ban_status::banned;
      out.push_back(ban_outcome{std::move(record), true});
      continue;
    }
    const auto* packed = r.string();
    if (!packed) {
      out.push_back(std::unexpected(unexpected_reply("ban reply record")));
      continue;
    }
    auto record = decode_packed_record(proposed[i].fp, *packed);
    if (!record) {
      out.push_back(std::unexpected(record.error()));
      continue;
    }
    out.push_back(ban_outcome{std::move(*record), false});
  }
  return out;
}

asio::awaitable<store_result<lift_outcome>> redis_store::lift_impl(lift_request request,
                                                                   actor who) {
  const fingerprint fp = request.fp;
  auto mutation = co_await run_mutation(script_id::lift, lift_keys(fp), lift_args(request, who));
  if (!mutation)
    co_return std::unexpected(std::move(mutation.error()));
  auto outcome = decode_lift_reply(fp, mutation->reply);
  if (!outcome)
    co_return outcome;
  if (auto shortfall = replication_shortfall(*mutation))
    co_return std::unexpected(std::move(*shortfall));
  co_return outcome;
}

std::vector<std::string> redis_store::lift_args(const lift_request& request,
                                                const actor& who) const {
  return {request.fp.to_hex(), request.reason,  who.key_id,  who.address,
          who.request_id,      request.case_id, request.note};
}

store_result<lift_outcome> redis_store::decode_lift_reply(const fingerprint& fp,
                                                          const redis_value& reply) {
  auto items = script_reply(reply);
  if (!items)
    return std::unexpected(items.error());
  if (*(**items)[0].integer() == 0)
    return std::unexpected(to_store_error(failure_kind::not_found, "not banned"));
  if ((*items)->size() != 3 || !(**items)[1].integer())
    return std::unexpected(unexpected_reply("lift reply"));
  return lift_outcome{fp, static_cast<std::uint64_t>(*(**items)[1].integer())};
}

asio::awaitable<store_result<std::optional<ban_record>>> redis_store::get_impl(fingerprint fp) {
  auto reply = co_await command(record_read(fp));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  co_return decode_record_reply(fp, *reply);
}

asio::awaitable<store_result<ban_page>> redis_store::list_impl(ban_query query) {
  ban_page page;
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 1000);
  const std::size_t batch = std::max<std::size_t>(limit, 100);
  std::uint64_t cursor = query.after_seq;
  std::uint64_t scanned = 0;
  while (true) {
    auto order = co_await read_order(cursor, batch);
    if (!order)
      co_return std::unexpected(std::move(order.error()));
    for (auto& [seq, record] : order->entries) {
      if (!record)
        continue;  // lifted and gone between the two reads
      if (record->status != ban_status::banned)
        continue;
      if (query.type && record->type != *query.type)
        continue;
      if (query.reason && record->reason != *query.reason)
        continue;
      if (query.since_ms && record->banned_at_ms < *query.since_ms)
        continue;
      page.records.push_back(std::move(*record));
      if (page.records.size() == limit) {
        page.next_cursor = seq;
        co_return page;
      }
    }
    if (order->at_end)
      co_return page;
    scanned += order->next_after - cursor;
    cursor = order->next_after;
    if (scanned >= kListMaxScan) {
      // Sparse filter: hand back what we have and where to go on.
      page.next_cursor = cursor;
      co_return page;
    }
  }
}

asio::awaitable<store_result<redis_store::seq_records>> redis_store::read_index(std::string index,
                                                                                std::uint64_t after,
                                                                                std::size_t n) {
  std::vector<std::string> range_cmd{"ZRANGEBYSCORE",
                                     std::move(index),
                                     "(" + seq_string(after),
                                     "+inf",
                                     "WITHSCORES",
                                     "LIMIT",
                                     "0",
                                     std::to_string(n)};
  auto range = co_await command(std::move(range_cmd));
  if (!range)
    co_return std::unexpected(std::move(range.error()));
  const auto* items = range->array();
  if (!items || items->size() % 2 != 0)
    co_return std::unexpected(unexpected_reply("index range"));
  std::vector<std::pair<std::uint64_t, fingerprint>> entries;
  for (std::size_t i = 0; i < items->size(); i += 2) {
    const auto* member = (*items)[i].string();
    const auto* score = (*items)[i + 1].string();
    auto fp = member ? fingerprint::from_hex(*member) : std::nullopt;
    auto seq = score ? parse_u64(*score) : std::nullopt;
    if (!fp || !seq)
      co_return std::unexpected(unexpected_reply("index entry"));
    entries.emplace_back(*seq, *fp);
  }
  co_return co_await read_records(std::move(entries));
}

asio::awaitable<store_result<redis_store::seq_records>> redis_store::read_records(
    std::vector<std::pair<std::uint64_t, fingerprint>> entries) {
  seq_records out;
  std::vector<std::vector<std::string>> reads;
  for (const auto& [seq, fp] : entries) {
    out.emplace_back(seq, std::nullopt);
    reads.push_back(record_read(fp));
  }
  if (reads.empty())
    co_return out;
  auto records = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!records)
    co_return std::unexpected(std::move(records.error()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto checked = reject_error_reply(std::move((*records)[i]));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto record = decode_record_reply(entries[i].second, *checked);
    if (!record)
      co_return std::unexpected(record.error());
    out[i].second = std::move(*record);
  }
  co_return out;
}

asio::awaitable<store_result<redis_store::order_page>> redis_store::read_order(std::uint64_t after,
                                                                               std::size_t n) {
  // The head seq first: every ban up to it is in its bucket by then (one
  // script put both there), so the buckets up to the head's are the whole
  // order as of that read.
  auto head = co_await head_seq_impl();
  if (!head)
    co_return std::unexpected(std::move(head.error()));
  order_page page;
  page.next_after = after;
  const std::uint64_t last_bucket = *head / kOrderBucketSeqs;
  std::uint64_t bucket = (after + 1) / kOrderBucketSeqs;
  std::vector<std::pair<std::uint64_t, fingerprint>> found;
  std::size_t buckets_read = 0;
  while (bucket <= last_bucket && found.size() < n && buckets_read < kOrderMaxBuckets) {
    // Enough buckets for `n` if they are full, at least two.
    const std::uint64_t want =
        std::max<std::uint64_t>(2, (n - found.size()) / kOrderBucketSeqs + 1);
    const std::uint64_t stop =
        std::min({last_bucket, bucket + want - 1, bucket + (kOrderMaxBuckets - buckets_read) - 1});
    std::vector<redis_connection::command> reads;
    for (std::uint64_t b = bucket; b <= stop; ++b)
      reads.push_back({"HGETALL", key("bans:" + std::to_string(b))});
    auto replies = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
    if (!replies)
      co_return std::unexpected(std::move(replies.error()));
    for (auto& reply : *replies) {
      auto checked = reject_error_reply(std::move(reply));
      if (!checked)
        co_return std::unexpected(checked.error());
      auto fields = to_field_map(*checked);
      if (!fields)
        co_return std::unexpected(fields.error());
      std::vector<std::pair<std::uint64_t, fingerprint>> in_bucket;
      for (const auto& [seq_text, order_value] : *fields) {
        auto seq = parse_u64(seq_text);
        // The fingerprint, then (layouts 5 and 6) its two wire codes and
        // the public flag, which the notice page filters on.
        const std::string_view value(order_value);
        auto fp = value.size() == 19 || value.size() == 32 || value.size() == 35
                      ? fingerprint_of_field(value.substr(0, value.size() == 19 ? 16 : 32))
                      : std::nullopt;
        if (!seq || !fp)
          co_return std::unexpected(unexpected_reply("order bucket entry"));
        if (*seq > after)
          in_bucket.emplace_back(*seq, *fp);
      }
      std::sort(in_bucket.begin(), in_bucket.end());
      found.insert(found.end(), in_bucket.begin(), in_bucket.end());
    }
    buckets_read += stop - bucket + 1;
    page.next_after = (stop + 1) * kOrderBucketSeqs - 1;  // the last seq of bucket `stop`
    bucket = stop + 1;
  }
  page.at_end = bucket > last_bucket;
  if (found.size() >= n) {
    // Buckets ascend and each is sorted: the first n are the n lowest.
    found.resize(n);
    page.next_after = found.back().first;
    page.at_end = false;
  }
  auto records = co_await read_records(std::move(found));
  if (!records)
    co_return std::unexpected(std::move(records.error()));
  page.entries = std::move(*records);
  co_return page;
}

asio::awaitable<store_result<std::vector<check_answer>>> redis_store::check_impl(
    std::vector<fingerprint> fps) {
  if (!replica_ || !replica_->connected())
    co_return co_await check_on(commands_, fps);
  // A replica may lag: its "banned" can be stale only for a lift younger
  // than the lag (erring toward banned); its "not banned" might miss a
  // fresh ban the filter already knows, so those are asked on the primary.
  auto answers = co_await check_on(replica_, fps);
  if (!answers)
    co_return co_await check_on(commands_, fps);
  std::vector<fingerprint> again;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < fps.size(); ++i) {
    if (!(*answers)[i].banned) {
      again.push_back(fps[i]);
      where.push_back(i);
    }
  }
  if (again.empty())
    co_return answers;
  auto primary = co_await check_on(commands_, again);
  if (!primary)
    co_return std::unexpected(std::move(primary.error()));
  for (std::size_t j = 0; j < where.size(); ++j)
    (*answers)[where[j]] = (*primary)[j];
  co_return answers;
}

asio::awaitable<store_result<std::vector<check_answer>>> redis_store::check_on(
    std::shared_ptr<redis_connection> connection, const std::vector<fingerprint>& fps) {
  std::vector<std::vector<std::string>> reads;
  reads.reserve(fps.size());
  for (const auto& fp : fps) {
    reads.push_back(record_read(fp));
  }
  // One write, one round trip for the whole batch.
  auto replies = co_await connection->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::vector<check_answer> answers(fps.size());
  for (std::size_t i = 0; i < fps.size(); ++i) {
    auto reply = reject_error_reply(std::move((*replies)[i]));
    if (!reply)
      co_return std::unexpected(reply.error());
    auto record = decode_record_reply(fps[i], *reply);
    if (!record)
      co_return std::unexpected(record.error());
    if (!*record || (*record)->status != ban_status::banned)
      continue;
    auto& a = answers[i];
    a.banned = true;
    a.reason = std::move((*record)->reason);
    a.since_ms = (*record)->banned_at_ms;
    a.seq = (*record)->seq;
  }
  co_return answers;
}

asio::awaitable<store_result<std::uint64_t>> redis_store::head_seq_impl() {
  std::vector<std::string> args3{"GET", key("seq")};
  auto reply = co_await command(std::move(args3));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  if (reply->is_nil())
    co_return std::uint64_t{0};
  const auto* text = reply->string();
  const auto seq = text ? parse_u64(*text) : std::nullopt;
  if (!seq)
    co_return std::unexpected(unexpected_reply("seq"));
  co_return *seq;
}

asio::awaitable<store_result<banned_set>> redis_store::load_banned_impl() {
  auto loaded = co_await load_banned_entries_impl();
  if (!loaded)
    co_return std::unexpected(std::move(loaded.error()));
  banned_set result;
  result.seq = loaded->seq;
  result.fps.reserve(loaded->entries.size());
  for (const auto& e : loaded->entries)
    result.fps.push_back(e.fp);
  co_return result;
}

asio::awaitable<store_result<std::vector<banned_entry>>> redis_store::read_order_buckets(
    std::uint64_t first, std::uint64_t last, std::uint64_t head) {
  std::vector<redis_connection::command> cmds;
  cmds.reserve(last - first + 1);
  for (std::uint64_t b = first; b <= last; ++b)
    cmds.push_back({"HGETALL", key("bans:" + std::to_string(b))});
  auto replies = co_await commands_->execute_pipeline(std::move(cmds), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::vector<banned_entry> page;
  for (const auto& reply : *replies) {
    const auto* items = reply.array();
    if (!items || items->size() % 2 != 0)
      co_return std::unexpected(unexpected_reply("HGETALL order bucket"));
    for (std::size_t i = 0; i < items->size(); i += 2) {
      const auto* seq_text = (*items)[i].string();
      const auto* value = (*items)[i + 1].string();
      const auto seq = seq_text ? parse_u64(*seq_text) : std::nullopt;
      // 16 raw bytes, or (layout 5's, rewritten by the layout 8 migration
      // but read all the same) 32 hex digits; then the two codes and the
      // public flag. A value without codes is older than the migration.
      const std::size_t fp_size = value && value->size() == 35 ? 32 : 16;
      auto fp = value && (value->size() == 19 || value->size() == 35)
                    ? fingerprint_of_field(std::string_view(*value).substr(0, fp_size))
                    : std::nullopt;
      if (!seq || !fp)
        co_return std::unexpected(unexpected_reply("order bucket entry"));
      // A ban after the head read is the log's to replay; skipping it also
      // means no fingerprint is read twice (lifted and banned again
      // meanwhile).
      if (*seq > head)
        continue;
      page.push_back(banned_entry{*fp, static_cast<std::uint8_t>((*value)[fp_size]),
                                  static_cast<std::uint8_t>((*value)[fp_size + 1])});
    }
  }
  co_return page;
}

asio::awaitable<store_result<void>> redis_store::migrate_order() {
  while (true) {
    std::vector<std::string> keys{key("bans"), key("public")};
    std::vector<std::string> args{std::to_string(kMigrateCount)};
    auto reply = co_await run_script(script_id::migrate_order, std::move(keys), std::move(args));
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
    const auto* left = reply->integer();
    if (!left)
      co_return std::unexpected(unexpected_reply("migrate_order"));
    if (*left == 0)
      co_return store_result<void>{};
  }
}

asio::awaitable<store_result<void>> redis_store::migrate_layout(std::string_view marker) {
  // '0' (unmarked) is layout 3 or older.
  const auto layout = parse_u64(marker);
  if (!layout)
    co_return std::unexpected(unexpected_reply("layout marker"));
  if (*layout == kLayout)
    co_return store_result<void>{};
  // A list a newer banlistd has written may hold what this one cannot read:
  // refuse it rather than misread it or mark it older.
  if (*layout > kLayout)
    co_return std::unexpected(to_store_error(failure_kind::unexpected_reply,
                                             "this list is at layout " + std::string(marker) +
                                                 ", written by a newer banlistd; this one "
                                                 "knows layouts up to " +
                                                 std::to_string(kLayout)));
  // An older banlistd still running is not supported across these
  // upgrades (docs/operations.md): nothing writes keys of an older layout
  // meanwhile, so one pass over each kind moves them all.
  if (*layout < 4) {
    auto packed = co_await migrate_records();
    if (!packed)
      co_return std::unexpected(std::move(packed.error()));
  }
  if (*layout < 5) {
    auto counted = co_await migrate_public();
    if (!counted)
      co_return std::unexpected(std::move(counted.error()));
  }
  if (*layout < 8) {
    auto dropped = co_await migrate_banned_into_order();
    if (!dropped)
      co_return std::unexpected(std::move(dropped.error()));
  }
  // 5 -> 6 -> 7 move nothing: the log's and the audit stream's older
  // entries stay as they are (their readers take both forms) until
  // retention and the stream's cap drop them.
  std::vector<std::string> mark{"SET", key("layout"), std::to_string(kLayout)};
  auto marked = co_await command(std::move(mark));
  if (!marked)
    co_return std::unexpected(std::move(marked.error()));
  co_return store_result<void>{};
}

asio::awaitable<store_result<void>> redis_store::migrate_records() {
  const std::string pattern = glob_escape(key("ban:")) + "*";
  std::string cursor = "0";
  do {
    auto page = co_await scan_page(cursor, pattern, "hash");
    if (!page)
      co_return std::unexpected(std::move(page.error()));
    cursor = std::move(page->cursor);
    if (page->keys.empty())
      continue;
    std::vector<std::string> keys{key("rec")};
    auto moved =
        co_await run_script(script_id::migrate_records, std::move(keys), std::move(page->keys));
    if (!moved)
      co_return std::unexpected(std::move(moved.error()));
  } while (cursor != "0");
  co_return store_result<void>{};
}

asio::awaitable<store_result<void>> redis_store::migrate_public() {
  // The count from the `all` index and that index gone, in one script;
  // then the other indexes, which nothing reads any more.
  std::vector<std::string> keys{key("pubidx:all"), key("public:count")};
  std::vector<std::string> no_args;
  auto counted =
      co_await run_script(script_id::migrate_public, std::move(keys), std::move(no_args));
  if (!counted)
    co_return std::unexpected(std::move(counted.error()));
  const std::string pattern = glob_escape(key("pubidx:")) + "*";
  std::string cursor = "0";
  do {
    auto page = co_await scan_page(cursor, pattern, "");
    if (!page)
      co_return std::unexpected(std::move(page.error()));
    cursor = std::move(page->cursor);
    if (page->keys.empty())
      continue;
    std::vector<std::string> unlink{"UNLINK"};
    for (auto& k : page->keys)
      unlink.push_back(std::move(k));
    auto gone = co_await command(std::move(unlink));
    if (!gone)
      co_return std::unexpected(std::move(gone.error()));
  } while (cursor != "0");
  co_return store_result<void>{};
}

asio::awaitable<store_result<void>> redis_store::migrate_banned_into_order() {
  // The order's values all coded first, the old buckets deleted after: an
  // interruption between the two leaves a list both layouts can scan, and
  // the next start (the marker is still older) does the rest.
  auto head = co_await head_seq_impl();
  if (!head)
    co_return std::unexpected(std::move(head.error()));
  const std::uint64_t last_bucket = *head / kOrderBucketSeqs;
  for (std::uint64_t first = 0; first <= last_bucket; first += kMigrateOrderBuckets) {
    const std::uint64_t last = std::min(last_bucket, first + kMigrateOrderBuckets - 1);
    std::vector<std::string> keys{key("rec"), key("bans")};
    std::vector<std::string> args{std::to_string(first), std::to_string(last)};
    auto coded =
        co_await run_script(script_id::migrate_order_codes, std::move(keys), std::move(args));
    if (!coded)
      co_return std::unexpected(std::move(coded.error()));
    const auto* counts = coded->array();
    if (!counts || counts->size() != 2 || !(*counts)[0].integer() || !(*counts)[1].integer())
      co_return std::unexpected(unexpected_reply("migrate_order_codes"));
  }
  // Then layout 7's buckets (those its bitmap marks; UNLINK frees them in
  // the background), the bitmap, and layout 1's single hash if any.
  std::vector<std::string> get{"GET", key("banned:nonempty")};
  auto bits = co_await command(std::move(get));
  if (!bits)
    co_return std::unexpected(std::move(bits.error()));
  const auto* bitmap = bits->string();
  if (!bitmap && !bits->is_nil())
    co_return std::unexpected(unexpected_reply("banned:nonempty"));
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<std::string> names;
  const std::size_t bytes = bitmap ? std::min<std::size_t>(bitmap->size(), kBannedBuckets / 8) : 0;
  for (std::size_t byte = 0; byte < bytes; ++byte) {
    const auto value = static_cast<unsigned char>((*bitmap)[byte]);
    for (unsigned bit = 0; bit < 8; ++bit) {
      if (!(value & (0x80u >> bit)))  // SETBIT numbers bits from the high one
        continue;
      const auto b = static_cast<std::uint32_t>(byte * 8 + bit);
      std::string name = key("banned:");
      for (int shift = 12; shift >= 0; shift -= 4)
        name.push_back(kHex[(b >> shift) & 0xf]);
      names.push_back(std::move(name));
    }
  }
  names.push_back(key("banned:nonempty"));
  names.push_back(key("banned"));
  for (std::size_t at = 0; at < names.size(); at += kMigrateCount) {
    std::vector<std::string> unlink{"UNLINK"};
    const std::size_t end = std::min(names.size(), at + kMigrateCount);
    for (std::size_t i = at; i < end; ++i)
      unlink.push_back(std::move(names[i]));
    auto gone = co_await command(std::move(unlink));
    if (!gone)
      co_return std::unexpected(std::move(gone.error()));
  }
  co_return store_result<void>{};
}

asio::awaitable<store_result<redis_store::key_page>> redis_store::scan_page(std::string cursor,
                                                                            std::string pattern,
                                                                            std::string_view type) {
  std::vector<std::string> scan{"SCAN",  std::move(cursor),
                                "MATCH", std::move(pattern),
                                "COUNT", std::to_string(kMigrateCount)};
  if (!type.empty()) {
    scan.emplace_back("TYPE");
    scan.emplace_back(type);
  }
  auto reply = co_await command(std::move(scan));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* parts = reply->array();
  if (!parts || parts->size() != 2 || !(*parts)[0].string() || !(*parts)[1].array())
    co_return std::unexpected(unexpected_reply("SCAN"));
  key_page page;
  page.cursor = *(*parts)[0].string();
  for (const auto& k : *(*parts)[1].array()) {
    if (!k.string())
      co_return std::unexpected(unexpected_reply("SCAN key"));
    page.keys.push_back(*k.string());
  }
  co_return page;
}

asio::awaitable<store_result<std::uint64_t>> redis_store::scan_banned_impl(
    std::function<bool(std::span<const banned_entry>)> page) {
  // The banned set is the listing order: every banned fingerprint under
  // the seq of its ban, 128 seqs to a bucket. seq first: the caller
  // follows the log from it, so a change that lands during the scan is
  // applied again from the log (bans and lifts are idempotent on a set),
  // and none is missed; the buckets up to its own hold every ban before it.
  banned_scans_.fetch_add(1, std::memory_order_relaxed);
  auto seq = co_await head_seq_impl();
  if (!seq)
    co_return std::unexpected(std::move(seq.error()));
  const std::uint64_t last_bucket = *seq / kOrderBucketSeqs;
  for (std::uint64_t first = 0; first <= last_bucket; first += kScanBucketsPerRead) {
    const std::uint64_t last = std::min(last_bucket, first + kScanBucketsPerRead - 1);
    auto entries = co_await read_order_buckets(first, last, *seq);
    if (!entries)
      co_return std::unexpected(std::move(entries.error()));
    if (!page(*entries))
      co_return std::unexpected(store_error{store_errc::unavailable, "the scan was stopped"});
  }
  co_return *seq;
}

asio::awaitable<store_result<banned_entries>> redis_store::load_banned_entries_impl() {
  banned_entries result;
  std::function<bool(std::span<const banned_entry>)> keep =
      [&result](std::span<const banned_entry> page) {
        result.entries.insert(result.entries.end(), page.begin(), page.end());
        return true;
      };
  auto seq = co_await scan_banned_impl(std::move(keep));
  if (!seq)
    co_return std::unexpected(std::move(seq.error()));
  result.seq = *seq;
  // The snapshot builder wants the list sorted. A fingerprint is under
  // one seq at most (the scan skips bans after its head), so there is no
  // repeat to drop; unique() stays as a cheap guard for callers that rely
  // on distinct entries.
  std::sort(result.entries.begin(), result.entries.end(),
            [](const banned_entry& a, const banned_entry& b) { return a.fp < b.fp; });
  const auto duplicates =
      std::unique(result.entries.begin(), result.entries.end(),
                  [](const banned_entry& a, const banned_entry& b) { return a.fp == b.fp; });
  result.entries.erase(duplicates, result.entries.end());
  co_return result;
}

asio::awaitable<store_result<change_log_state>> redis_store::log_state_impl() {
  std::vector<std::string> args{"MGET", key("seq"), key("digest"), key("log_oldest")};
  auto reply = co_await command(std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* items = reply->array();
  if (!items || items->size() != 3)
    co_return std::unexpected(unexpected_reply("MGET log state"));
  change_log_state state;
  if (const auto* head = (*items)[0].string()) {
    const auto parsed = parse_u64(*head);
    if (!parsed)
      co_return std::unexpected(unexpected_reply("seq"));
    state.head = *parsed;
  }
  if (const auto* digest = (*items)[1].string()) {
    const auto parsed = fingerprint::from_hex(*digest);
    if (!parsed)
      co_return std::unexpected(unexpected_reply("digest"));
    state.digest = *parsed;
  }
  if (const auto* oldest = (*items)[2].string()) {
    const auto parsed = parse_u64(*oldest);
    if (!parsed || *parsed == 0)
      co_return std::unexpected(unexpected_reply("log_oldest"));
    state.oldest = *parsed;
  }
  co_return state;
}

asio::awaitable<store_result<std::uint64_t>> redis_store::trim_log_impl(std::uint64_t oldest) {
  std::vector<std::string> keys{key("log"), key("log_oldest"), key("seq")};
  std::vector<std::string> args{std::to_string(oldest)};
  auto reply = co_await run_script(script_id::trim_log, std::move(keys), std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* items = reply->array();
  if (!items || items->size() != 2 || !(*items)[0].integer() || *(*items)[0].integer() < 1)
    co_return std::unexpected(unexpected_reply("trim_log reply"));
  co_return static_cast<std::uint64_t>(*(*items)[0].integer());
}

asio::awaitable<store_result<void>> redis_store::record_snapshot_impl(std::string instance_id,
                                                                      std::uint64_t seq) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<std::string> args{"HSET", key("snapshots"), std::move(instance_id),
                                std::to_string(seq) + ":" + std::to_string(now)};
  auto reply = co_await command(std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  co_return store_result<void>{};
}

asio::awaitable<store_result<std::optional<std::uint64_t>>> redis_store::oldest_snapshot_seq_impl(
    std::chrono::milliseconds max_age) {
  std::vector<std::string> args{"HGETALL", key("snapshots")};
  auto reply = co_await command(std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  auto fields = to_field_map(*reply);
  if (!fields)
    co_return std::unexpected(fields.error());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::optional<std::uint64_t> oldest;
  for (const auto& [instance, value] : *fields) {
    const auto colon = value.find(':');
    if (colon == std::string::npos)
      continue;  // not ours: ignore rather than stop trimming forever
    const auto seq = parse_u64(std::string_view(value).substr(0, colon));
    const auto at = parse_i64(std::string_view(value).substr(colon + 1));
    if (!seq || !at || now - *at > max_age.count())
      continue;  // an instance that stopped publishing no longer holds the log back
    if (!oldest || *seq < *oldest)
      oldest = *seq;
  }
  co_return oldest;
}

asio::awaitable<store_result<std::vector<change>>> redis_store::read_changes_impl(
    std::uint64_t after_seq, std::size_t count, std::chrono::milliseconds block) {
  count = std::max<std::size_t>(count, 1);
  // The log stores the digest of every 16th entry (change.lua), and each
  // change's digest is the one before XOR its fingerprint: the read starts
  // at the entry with a digest at or before after_seq (after seq 0 the
  // digest is zero), and the entries up to after_seq serve only that.
  const std::uint64_t anchor = after_seq - after_seq % kLogDigestEvery;
  const std::uint64_t first = anchor == 0 ? 1 : anchor;
  const std::uint64_t lead = after_seq + 1 - first;
  std::vector<std::string> xrange{"XRANGE", key("log"), seq_string(first) + "-0",
                                  "+",      "COUNT",    std::to_string(count + lead)};
  auto range = co_await command(std::move(xrange));
  if (!range)
    co_return std::unexpected(std::move(range.error()));
  const auto* entries = range->array();
  if (!entries)
    co_return std::unexpected(unexpected_reply("XRANGE"));
  std::vector<change> read;
  if (auto decoded = append_changes(*entries, read); !decoded)
    co_return std::unexpected(decoded.error());
  // Retention may have trimmed the first entries (the oldest kept has a
  // digest, trim_log.lua); the zero digest belongs before seq 1 only.
  const bool from_start = anchor == 0 && (read.empty() || read.front().seq == 1);
  if (auto resolved = resolve_digests(
          read, from_start ? std::optional<fingerprint>(fingerprint{}) : std::nullopt);
      !resolved)
    co_return std::unexpected(resolved.error());
  std::optional<fingerprint> at_after =
      after_seq == 0 ? std::optional<fingerprint>(fingerprint{}) : std::nullopt;
  std::vector<change> changes;
  for (auto& c : read) {
    if (c.seq <= after_seq) {
      if (c.seq == after_seq)
        at_after = c.digest;
    } else if (changes.size() < count) {
      changes.push_back(std::move(c));
    }
  }
  if (!changes.empty() || block.count() <= 0)
    co_return changes;

  // Nothing yet: wait on the dedicated connection. The id is explicit (not
  // "$"), so an entry added since the XRANGE is returned at once.
  std::vector<std::string> xread{
      "XREAD",   "COUNT",    std::to_string(count),       "BLOCK", std::to_string(block.count()),
      "STREAMS", key("log"), seq_string(after_seq) + "-1"};
  auto waited = co_await blocking_->execute(std::move(xread), block + options_.command_timeout);
  if (!waited)
    co_return std::unexpected(std::move(waited.error()));
  auto reply = reject_error_reply(std::move(*waited));
  if (!reply)
    co_return std::unexpected(reply.error());
  if (reply->is_nil())
    co_return changes;  // timed out: no change
  const auto* streams = reply->array();
  if (!streams || streams->size() != 1)
    co_return std::unexpected(unexpected_reply("XREAD"));
  const auto* stream = (*streams)[0].array();
  if (!stream || stream->size() != 2 || !(*stream)[1].array()) {
    co_return std::unexpected(unexpected_reply("XREAD stream"));
  }
  if (auto decoded = append_changes(*(*stream)[1].array(), changes); !decoded)
    co_return std::unexpected(decoded.error());
  if (!at_after && !changes.empty() && !changes.front().has_digest) {
    // The XRANGE found no entry at after_seq (it came since: a cursor
    // ahead of the head), so read again from the one with a digest.
    co_return co_await read_changes_impl(after_seq, count, std::chrono::milliseconds(0));
  }
  if (auto resolved = resolve_digests(changes, at_after); !resolved)
    co_return std::unexpected(resolved.error());
  co_return changes;
}

asio::awaitable<store_result<api_key>> redis_store::store_key(std::string sha, role key_role,
                                                              std::string name, actor who,
                                                              std::string action,
                                                              std::optional<key_rate_limit> limit) {
  // A random 8-byte id collides with negligible probability; the script
  // refuses a taken id and we draw again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto id = random_hex(8);
    std::vector<std::string> keys{key("key:" + sha), key("keyid:" + id), key("keys"), key("audit")};
    std::vector<std::string> args{
        id,    std::string(to_string(key_role)), name, sha, who.key_id, who.address, who.request_id,
        action};
    args.push_back(limit ? std::to_string(limit->per_minute) : "");
    args.push_back(limit ? std::to_string(limit->burst) : "");
    auto reply = co_await run_script(script_id::key_create, std::move(keys), std::move(args));
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
    auto items = script_reply(*reply);
    if (!items)
      co_return std::unexpected(items.error());
    if (*(**items)[0].integer() == -1)
      continue;
    if ((*items)->size() != 2)
      co_return std::unexpected(unexpected_reply("key_create reply"));
    auto fields = to_field_map((**items)[1]);
    if (!fields)
      co_return std::unexpected(fields.error());
    co_return decode_api_key(*fields);
  }
  co_return std::unexpected(unexpected_reply("key id collisions"));
}

asio::awaitable<store_result<created_key>> redis_store::create_key_impl(
    role key_role, std::string name, actor who, std::optional<key_rate_limit> limit) {
  auto secret = new_key_secret();
  auto record = co_await store_key(key_secret_hash(secret), key_role, std::move(name),
                                   std::move(who), "key_create", limit);
  if (!record)
    co_return std::unexpected(std::move(record.error()));
  co_return created_key{std::move(*record), std::move(secret)};
}

asio::awaitable<store_result<api_key>> redis_store::register_key_impl(std::string secret,
                                                                      role key_role,
                                                                      std::string name) {
  actor system{"system", "", ""};
  co_return co_await store_key(key_secret_hash(secret), key_role, std::move(name),
                               std::move(system), "key_register");
}

asio::awaitable<store_result<std::vector<api_key>>> redis_store::list_keys_impl() {
  std::vector<std::string> args5{"SMEMBERS", key("keys")};
  auto ids = co_await command(std::move(args5));
  if (!ids)
    co_return std::unexpected(std::move(ids.error()));
  const auto* members = ids->array();
  if (!members)
    co_return std::unexpected(unexpected_reply("SMEMBERS"));
  std::vector<std::vector<std::string>> lookups;
  for (const auto& m : *members) {
    if (!m.string())
      co_return std::unexpected(unexpected_reply("key id"));
    lookups.push_back({"GET", key("keyid:" + *m.string())});
  }
  auto shas = co_await commands_->execute_pipeline(std::move(lookups), options_.command_timeout);
  if (!shas)
    co_return std::unexpected(std::move(shas.error()));
  std::vector<std::vector<std::string>> reads;
  for (auto& sha : *shas) {
    auto checked = reject_error_reply(std::move(sha));
    if (!checked)
      co_return std::unexpected(checked.error());
    if (!checked->string())
      continue;
    reads.push_back({"HGETALL", key("key:" + *checked->string())});
  }
  auto records = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!records)
    co_return std::unexpected(std::move(records.error()));
  std::vector<api_key> keys;
  for (auto& r : *records) {
    auto checked = reject_error_reply(std::move(r));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto fields = to_field_map(*checked);
    if (!fields)
      co_return std::unexpected(fields.error());
    if (fields->empty())
      continue;
    auto k = decode_api_key(*fields);
    if (!k)
      co_return std::unexpected(k.error());
    keys.push_back(std::move(*k));
  }
  std::sort(keys.begin(), keys.end(), [](const api_key& a, const api_key& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
  });
  co_return keys;
}

asio::awaitable<store_result<bool>> redis_store::revoke_key_impl(std::string id, actor who) {
  std::vector<std::string> keys{key("keyid:" + id), key("audit")};
  std::vector<std::string> args{id, options_.key_prefix, who.key_id, who.address, who.request_id};
  auto reply = co_await run_script(script_id::key_revoke, std::move(keys), std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* result = reply->integer();
  if (!result)
    co_return std::unexpected(unexpected_reply("key_revoke reply"));
  if (*result == -1)
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such key"));
  co_return *result == 1;
}

asio::awaitable<store_result<std::optional<api_key>>> redis_store::find_key_impl(
    std::string sha256_hex) {
  std::vector<std::string> args6{"HGETALL", key("key:" + sha256_hex)};
  auto reply = co_await command(std::move(args6));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  auto fields = to_field_map(*reply);
  if (!fields)
    co_return std::unexpected(fields.error());
  if (fields->empty())
    co_return std::optional<api_key>{};
  auto k = decode_api_key(*fields);
  if (!k)
    co_return std::unexpected(k.error());
  co_return std::optional<api_key>(std::move(*k));
}

asio::awaitable<store_result<std::vector<audit_entry>>> redis_store::audit_impl(
    std::optional<std::string> before_id, std::size_t limit) {
  if (before_id && !is_stream_id(*before_id)) {
    co_return std::unexpected(to_store_error(failure_kind::not_found, "invalid audit cursor"));
  }
  limit = std::clamp<std::size_t>(limit, 1, 1000);
  std::vector<std::string> args7{"XREVRANGE", key("audit"), before_id ? "(" + *before_id : "+",
                                 "-",         "COUNT",      std::to_string(limit)};
  auto reply = co_await command(std::move(args7));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* entries = reply->array();
  if (!entries)
    co_return std::unexpected(unexpected_reply("XREVRANGE"));
  std::vector<audit_entry> out;
  out.reserve(entries->size());
  for (const auto& entry : *entries) {
    auto a = decode_audit_entry(entry);
    if (!a)
      co_return std::unexpected(a.error());
    out.push_back(std::move(*a));
  }
  co_return out;
}

namespace {

asio::awaitable<store_result<std::shared_ptr<store>>> finish_open(std::shared_ptr<redis_store> s) {
  store_result<void> ready = co_await s->wait_ready();
  store_result<std::shared_ptr<store>> result;
  if (ready) {
    result = s;
  } else {
    result = std::unexpected(ready.error());
  }
  co_return result;
}

}  // namespace

asio::awaitable<store_result<std::shared_ptr<store>>> open_redis_store(
    asio::any_io_executor executor, redis_endpoint endpoint, store_options options) {
  return finish_open(
      std::make_shared<redis_store>(executor, std::move(endpoint), std::move(options)));
}

}  // namespace banlist::service
