// store: every read and write banlistd makes to Redis, in domain terms.
//
// Mutations (ban, lift, key create/revoke) each run as one Lua script
// (EVALSHA with a NOSCRIPT fallback) that updates the record, bumps bl:seq,
// appends to the change log, the public index, the digest and the audit log
// atomically. A result is returned only after Redis replied; with the
// embedded server (appendfsync always) that means the write is on disk.
//
// Errors are values. store_errc::unavailable means the command was never sent
// (nothing changed); store_errc::outcome_unknown means it was sent and no
// reply came (deadline or connection loss): the write may or may not have
// been applied, and retrying is safe because every mutation is idempotent.
//
// Thread-safety: a store may be used from any thread and any executor;
// operations are serialized onto the Redis connections' strands internally.
//
// g++ 12 coroutine bugs met here (keep callers' code clear of them):
// - an aggregate temporary (`actor{...}`, `store_options{}`) written inside
//   a co_await expression in a coroutine is copied bitwise into the frame:
//   its short strings then point at a dead stack slot (heap corruption).
//   Put such values in a named local (or get them from a function) first.
// - a braced list inside a co_await expression in a coroutine
//   (`co_await g({"a", "b"})`) fails to compile ("array used as
//   initializer"): build the vector in a named local first.
// - g++ 12 rejects Boost 1.74's coroutine frame recycling under -Werror
//   (-Wmismatched-new-delete): banlist_store defines
//   BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING publicly; every target
//   using asio::awaitable in the same program must see it too (ODR).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "store/records.hpp"

namespace banlist::service {

enum class store_errc : std::uint8_t {
  unavailable,      // not connected; the command was not sent
  outcome_unknown,  // sent, but no reply before the deadline or the link dropped
  not_found,        // e.g. lift of an account that is not banned
  redis_error,      // Redis answered with an error reply
  protocol_error,   // a reply we could not understand
};

struct store_error {
  store_errc code;
  std::string message;
};

template <class T>
using store_result = std::expected<T, store_error>;

// Where Redis is: "redis://host:port/db" or "unix:///path/to/socket".
struct redis_endpoint {
  std::string host;  // empty for unix sockets
  std::uint16_t port = 6379;
  std::string unix_path;  // non-empty for unix sockets
  int db = 0;
  std::string password;

  static std::expected<redis_endpoint, std::string> parse(std::string_view url);
};

// One Redis Sentinel (--redis-sentinel host:port,...).
struct sentinel_address {
  std::string host;
  std::uint16_t port = 26379;
};

// Discovering the primary through Sentinel (see sentinel_resolver.hpp).
struct sentinel_options {
  std::vector<sentinel_address> sentinels;  // empty: no Sentinel, use the endpoint as given
  std::string master_name;
  std::chrono::milliseconds timeout{1000};  // per sentinel: connect and answer
};

struct store_options {
  std::string key_prefix = "bl:";
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  // High availability (docs/operations.md). With sentinels set, the endpoint
  // only supplies db and password; the primary is discovered and followed.
  sentinel_options sentinel;
  // > 0: a ban or lift is acknowledged only once WAIT saw this many replicas
  // take it within replica_ack_timeout; fewer is outcome_unknown.
  unsigned replica_acks = 0;
  std::chrono::milliseconds replica_ack_timeout{1000};
  // With sentinels: confirm filter hits (store::check) on a replica; an
  // answer of "not banned" is asked again on the primary.
  bool read_from_replicas = false;
};

struct ban_outcome {
  ban_record record;
  bool created = false;  // false: it was already banned, nothing changed
};

struct lift_outcome {
  fingerprint fp;
  std::uint64_t seq = 0;
};

// Answer for one fingerprint of a check that reached Redis.
struct check_answer {
  bool banned = false;
  std::string reason;
  std::int64_t since_ms = 0;
  std::uint64_t seq = 0;  // seq of the ban
};

struct ban_query {
  std::optional<sdk::identifier_type> type;
  std::optional<std::string> reason;
  std::optional<std::int64_t> since_ms;  // banned at or after
  std::uint64_t after_seq = 0;           // cursor: records with a larger ban seq
  std::size_t limit = 100;
};

struct ban_page {
  std::vector<ban_record> records;
  std::optional<std::uint64_t> next_cursor;
};

// Everything banned at the moment the load started, plus the seq from which
// to follow the change log so nothing is missed.
struct banned_set {
  std::vector<fingerprint> fps;
  std::uint64_t seq = 0;
};

// One banned fingerprint with the wire codes a snapshot carries
// (sdk/reason.hpp): the identifier type code and the ban reason code.
struct banned_entry {
  fingerprint fp;
  std::uint8_t type = 0;
  std::uint8_t reason = 0;
};

// The banned set with codes, as a scan saw it (sorted by fingerprint, each
// at most once), and the seq read before the scan began (see
// load_banned_entries for what that guarantees).
struct banned_entries {
  std::vector<banned_entry> entries;
  std::uint64_t seq = 0;
};

// The change log's ends, read atomically (one MGET): the newest seq, the set
// digest there, and the oldest seq still in the log (1 when nothing was
// trimmed). A cursor `since` can be served from the log iff
// oldest - 1 <= since <= head.
struct change_log_state {
  std::uint64_t head = 0;
  fingerprint digest;
  std::uint64_t oldest = 1;
};

// The identity of the list kept under one key prefix: set once, when the
// first banlistd starts on an empty Redis, and checked by every later start.
struct list_identity {
  std::uint64_t epoch = 0;  // random, non-zero; changes only on a rebuild
  std::uint64_t seed = 0;   // fingerprint seed
};

// Sizes of the list (issue 7: circuit breaker, GET /v1/status).
struct list_counts {
  std::uint64_t banned = 0;     // bl:bans:count
  std::uint64_t is_public = 0;  // ZCARD bl:pubidx:all
};

struct created_key {
  api_key record;
  std::string secret;  // shown once; only its SHA-256 is stored
};

// --- Notice page and bulletins (docs/public.md) ---

// What the public may see of one ban: never the raw value or the note.
struct public_entry {
  fingerprint fp;
  sdk::identifier_type type = sdk::identifier_type::phone;
  std::string masked;
  std::string reason;
  std::string case_id;
  std::string source;
  std::int64_t banned_at_ms = 0;
  std::uint64_t seq = 0;  // ban seq: the page cursor
};

struct public_query {
  std::optional<sdk::identifier_type> type;
  std::optional<std::string> reason;  // a wire reason name
  std::uint64_t before_seq = 0;       // cursor: entries with a smaller seq; 0 = newest
  std::size_t limit = 50;
};

struct public_page {
  std::vector<public_entry> entries;
  std::optional<std::uint64_t> next_cursor;  // pass as before_seq for the next page
  std::uint64_t version = 0;                 // public version the page was read at
};

// A typical-case bulletin (bl:bulletin:{id}). `id` is a decimal number as text.
struct bulletin {
  std::string id;
  std::string title;
  std::string body;  // plain text; blank lines separate paragraphs
  std::vector<fingerprint> linked_bans;
  bool published = true;  // false: withdrawn
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct bulletin_page {
  std::vector<bulletin> items;
  std::optional<std::uint64_t> next_cursor;  // ids below this follow
};

// --- Partner reports and expiry (issue 7) ---

enum class report_filing : std::uint8_t {
  created,         // a new open report
  joined,          // an open report on that fingerprint existed; the reporter was added
  already_banned,  // the fingerprint is banned: nothing stored
};

struct filed_report {
  report_filing outcome = report_filing::created;
  std::optional<report> record;  // absent when already_banned
};

struct report_query {
  std::optional<report_status> status;  // nullopt: every status
  std::uint64_t before_id = 0;          // cursor: ids below this; 0 = newest
  std::size_t limit = 100;
};

struct report_page {
  std::vector<report> reports;               // newest first
  std::optional<std::uint64_t> next_cursor;  // pass as before_id
};

enum class report_decision_outcome : std::uint8_t {
  decided,          // decided by this call
  already_decided,  // decided before: `record` is as it stands, nothing changed
};

struct report_decision {
  report_decision_outcome outcome = report_decision_outcome::decided;
  report record;
  std::optional<ban_outcome> ban;  // accept only; created = false: linked an existing ban
};

// --- Moderator and admin routes (issue 7, docs/admin-api.md) ---

// One lift with its reason and optional case reference and note.
struct lift_request {
  fingerprint fp;
  std::string reason;   // a lift reason wire name
  std::string case_id;  // "" = none
  std::string note;     // "" = none
};

// Every episode of one fingerprint, oldest first: archived (lifted) ones
// from bl:hist:{fp}, then the current record. Archived episodes carry the
// current record's type, value and masked form.
struct ban_history {
  std::vector<ban_record> episodes;
};

// One page of an export: records in index order (ban seq for banned
// records, lift seq for lifted ones) after `after_seq`.
struct export_query {
  ban_status status = ban_status::banned;
  std::uint64_t after_seq = 0;
  std::size_t limit = 1000;
};

struct export_page {
  std::vector<ban_record> records;
  std::optional<std::uint64_t> next_cursor;  // nullopt: the index ended
};

// GET /v1/audit with filters. Time bounds are inclusive, in unix ms.
struct audit_query {
  std::optional<std::string> before_id;  // entries strictly older than this id
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
  std::optional<std::string> actor;   // key id
  std::optional<std::string> action;  // exact action name
  std::size_t limit = 100;
};

struct audit_page {
  std::vector<audit_entry> entries;
  // Set when more entries may match: pass as before_id.
  std::optional<std::string> next_before;
};

// One banlistd's heartbeat in bl:instances (id -> "{unix ms} {payload}").
struct instance_record {
  std::string id;
  std::int64_t seen_at_ms = 0;  // set by put_instance from this host's clock
  std::string payload;          // JSON written by that instance
};

class store {
 public:
  virtual ~store() = default;

  // Stores `seed` and a fresh random epoch if the list is new (SET NX);
  // returns what Redis holds. The caller refuses to start when the returned
  // seed differs from its configured one.
  virtual boost::asio::awaitable<store_result<list_identity>> init_list(std::uint64_t seed) = 0;

  // Mutations.
  virtual boost::asio::awaitable<store_result<ban_outcome>> ban(ban_record proposed, actor who) = 0;
  virtual boost::asio::awaitable<store_result<lift_outcome>> lift(fingerprint fp,
                                                                  std::string reason,
                                                                  actor who) = 0;

  // Reads.
  virtual boost::asio::awaitable<store_result<std::optional<ban_record>>> get(fingerprint fp) = 0;
  virtual boost::asio::awaitable<store_result<ban_page>> list(ban_query query) = 0;
  virtual boost::asio::awaitable<store_result<std::vector<check_answer>>> check(
      std::vector<fingerprint> fps) = 0;
  virtual boost::asio::awaitable<store_result<std::uint64_t>> head_seq() = 0;
  virtual boost::asio::awaitable<store_result<banned_set>> load_banned() = 0;

  // Like load_banned, with each fingerprint's type and reason codes (one
  // read of every bucket of the listing order, which holds every ban). The scan is not a
  // point-in-time view: it holds the list at `seq` plus some of the changes made during the scan.
  // Replaying the log from `seq` to a head read after the scan, as assignments (ban sets, lift
  // erases), gives the exact list at that head.
  virtual boost::asio::awaitable<store_result<banned_entries>> load_banned_entries() = 0;
  // The same scan a page at a time (some thousands of entries, unsorted): `page` gets each one as
  // it arrives, so the caller need not hold the list; a false return stops the scan with
  // store_errc::unavailable. Returns the seq read before the scan began.
  virtual boost::asio::awaitable<store_result<std::uint64_t>> scan_banned(
      std::function<bool(std::span<const banned_entry>)> page) = 0;
  // How many scans of the banned set (either form above) this store has
  // begun: a full read of the list, which a checkpoint is there to spare
  // (exported as banlist_banned_scans_total).
  virtual std::uint64_t banned_scans() const noexcept = 0;

  // The change log's head, digest at head and oldest retained seq (atomic).
  virtual boost::asio::awaitable<store_result<change_log_state>> log_state() = 0;

  // Trims the change log below seq `oldest` (XTRIM MINID) and records the
  // new oldest retained seq; never trims past head + 1 and never lowers it.
  // Returns the oldest retained seq afterwards. Idempotent.
  virtual boost::asio::awaitable<store_result<std::uint64_t>> trim_log(std::uint64_t oldest) = 0;

  // Records that instance `instance_id` serves a snapshot at `seq` (so the
  // retention task keeps the log from there). bl:snapshots, a hash
  // instance -> "seq:unix ms".
  virtual boost::asio::awaitable<store_result<void>> record_snapshot(std::string instance_id,
                                                                     std::uint64_t seq) = 0;
  // The smallest snapshot seq recorded within `max_age`, or nullopt when
  // no instance recorded one that recently.
  virtual boost::asio::awaitable<store_result<std::optional<std::uint64_t>>> oldest_snapshot_seq(
      std::chrono::milliseconds max_age) = 0;

  // Change log: entries with seq > after_seq, at most `count`; waits up to
  // `block` for one to arrive (0: do not wait). Uses a dedicated connection.
  virtual boost::asio::awaitable<store_result<std::vector<change>>> read_changes(
      std::uint64_t after_seq, std::size_t count, std::chrono::milliseconds block) = 0;

  // Keys and audit.
  // `limit`: the key's request limit (nullopt: none).
  virtual boost::asio::awaitable<store_result<created_key>> create_key(
      role key_role, std::string name, actor who,
      std::optional<key_rate_limit> limit = std::nullopt) = 0;
  // Registers a key whose secret is given (BANLIST_ADMIN_KEY at start);
  // idempotent.
  virtual boost::asio::awaitable<store_result<api_key>> register_key(std::string secret,
                                                                     role key_role,
                                                                     std::string name) = 0;
  virtual boost::asio::awaitable<store_result<std::vector<api_key>>> list_keys() = 0;
  virtual boost::asio::awaitable<store_result<bool>> revoke_key(std::string id, actor who) = 0;
  // Returns the key whose secret hashes to sha256_hex, or nullopt.
  virtual boost::asio::awaitable<store_result<std::optional<api_key>>> find_key(
      std::string sha256_hex) = 0;
  virtual boost::asio::awaitable<store_result<std::vector<audit_entry>>> audit(
      std::optional<std::string> before_id, std::size_t limit) = 0;

  // Bulk and tooling (issue 7).
  // Bans every record in one pipelined write (one ban script run each, in
  // order) and returns one result per record, in order. The outer error
  // means no reply came for the batch: each record's outcome is unknown.
  virtual boost::asio::awaitable<store_result<std::vector<store_result<ban_outcome>>>> ban_many(
      std::vector<ban_record> proposed, actor who) = 0;
  virtual boost::asio::awaitable<store_result<list_counts>> counts() = 0;
  // Appends one audit entry for an action no mutation script records
  // (confirmed bulk change, raw export).
  virtual boost::asio::awaitable<store_result<void>> record_audit(std::string action,
                                                                  std::string target,
                                                                  std::string detail,
                                                                  actor who) = 0;

  // True while the command connection is up (for /readyz and degraded checks).
  virtual bool connected() const noexcept = 0;

  // Stops for good (the server's shutdown): completes once every command
  // waiting on Redis has failed with outcome_unknown; later ones fail with
  // unavailable at once. A coroutine parked on a reply owns the store that
  // owns the reply's queue, so without this a shutdown behind a stalled
  // Redis keeps both alive forever.
  virtual boost::asio::awaitable<void> close() = 0;

  // Notice page and bulletins (docs/public.md). The public version
  // (bl:public_version) moves with every change a public page shows: a
  // public ban, the lift of one, a bulletin published, edited or withdrawn.
  virtual boost::asio::awaitable<store_result<std::uint64_t>> public_version() = 0;
  // One page of public bans, newest first, from one sorted-set range
  // (O(page size)), read atomically with the public version.
  virtual boost::asio::awaitable<store_result<public_page>> list_public(public_query query) = 0;
  // For each fingerprint: its public entry when it is banned and public,
  // else nullopt (a non-public ban is not disclosed).
  virtual boost::asio::awaitable<store_result<std::vector<std::optional<public_entry>>>>
  public_entries(std::vector<fingerprint> fps) = 0;
  // Publishes `b` (its id is ignored and assigned). Audited.
  virtual boost::asio::awaitable<store_result<bulletin>> publish_bulletin(bulletin b,
                                                                          actor who) = 0;
  // Replaces title, body and linked bans of published bulletin `b.id`;
  // not_found when unknown or withdrawn. Audited.
  virtual boost::asio::awaitable<store_result<bulletin>> edit_bulletin(bulletin b, actor who) = 0;
  // Withdraws a published bulletin; not_found when unknown or withdrawn. Audited.
  virtual boost::asio::awaitable<store_result<void>> withdraw_bulletin(std::string id,
                                                                       actor who) = 0;
  // The bulletin with `id` whatever its status, or nullopt.
  virtual boost::asio::awaitable<store_result<std::optional<bulletin>>> get_bulletin(
      std::string id) = 0;
  // Published bulletins, newest first, with id < before_id (0 = newest).
  virtual boost::asio::awaitable<store_result<bulletin_page>> list_bulletins(
      std::uint64_t before_id, std::size_t limit) = 0;

  // Partner reports (issue 7, docs/admin-api.md). `proposed` carries the
  // normalized identifier, reason and evidence; reporter = who.key_id.
  // Audited (report_create, report_join).
  virtual boost::asio::awaitable<store_result<filed_report>> file_report(report proposed,
                                                                         actor who) = 0;
  // The report with `id` (decimal), or nullopt.
  virtual boost::asio::awaitable<store_result<std::optional<report>>> get_report(
      std::string id) = 0;
  virtual boost::asio::awaitable<store_result<report_page>> list_reports(report_query query) = 0;
  // Accepts an open report: bans `ban` (which must be for the report's
  // fingerprint) with the ban script, links the ban and the report, in one
  // atomic run. not_found for an unknown id. Audited (ban, report_accept).
  virtual boost::asio::awaitable<store_result<report_decision>> accept_report(std::string id,
                                                                              ban_record ban,
                                                                              actor who) = 0;
  // Rejects an open report with a reason. not_found for an unknown id.
  // Audited (report_reject).
  virtual boost::asio::awaitable<store_result<report_decision>> reject_report(std::string id,
                                                                              std::string reason,
                                                                              actor who) = 0;
  // Number of open reports (GET /v1/status).
  virtual boost::asio::awaitable<store_result<std::uint64_t>> open_report_count() = 0;

  // Expiry. Fingerprints whose ban expires at or before `now_s` (unix s),
  // earliest first, at most `limit` (the bl:expiry index; may hold entries
  // that expire_ban then finds not due).
  virtual boost::asio::awaitable<store_result<std::vector<fingerprint>>> expiring_bans(
      std::int64_t now_s, std::size_t limit) = 0;
  // Lifts `fp` with reason `expired` by actor `system` iff it is banned and
  // its expires_at has passed by Redis's clock, checked in the same script
  // as the lift (so with several instances it is lifted exactly once).
  // nullopt: not due (nothing lifted).
  virtual boost::asio::awaitable<store_result<std::optional<lift_outcome>>> expire_ban(
      fingerprint fp) = 0;
  // Moderator and admin routes (issue 7, docs/admin-api.md).
  // A lift with reason, case and note (kept on the lifted record).
  virtual boost::asio::awaitable<store_result<lift_outcome>> lift_with(lift_request request,
                                                                       actor who) = 0;
  // Lifts every request in one pipelined write, one result each, in order
  // (not_found: not banned). The outer error: no reply for the batch.
  virtual boost::asio::awaitable<store_result<std::vector<store_result<lift_outcome>>>> lift_many(
      std::vector<lift_request> requests, actor who) = 0;
  // Every ban and lift of `fp`, or nullopt when it was never banned.
  virtual boost::asio::awaitable<store_result<std::optional<ban_history>>> history(
      fingerprint fp) = 0;
  // One page of banned (bl:bans:{n}, ban order) or lifted (bl:lifted) records.
  virtual boost::asio::awaitable<store_result<export_page>> export_records(export_query query) = 0;
  // Audit entries, newest first, filtered; examines at most 10,000 entries
  // per call (then next_before says where to go on).
  virtual boost::asio::awaitable<store_result<audit_page>> audit_filtered(audit_query query) = 0;
  // Banned count per identifier type code (a scan of the banned set, O(banned)).
  virtual boost::asio::awaitable<store_result<std::vector<std::uint64_t>>> banned_by_type() = 0;
  // Writes this instance's heartbeat (stamped now) and drops entries
  // whose writer has been silent longer than `drop_after`.
  virtual boost::asio::awaitable<store_result<void>> put_instance(
      instance_record record, std::chrono::milliseconds drop_after) = 0;
  virtual boost::asio::awaitable<store_result<std::vector<instance_record>>> instances() = 0;
};

// Opens a store on `endpoint`; connects, loads the scripts and returns once
// Redis answered, or an error.
boost::asio::awaitable<store_result<std::shared_ptr<store>>> open_redis_store(
    boost::asio::any_io_executor executor, redis_endpoint endpoint, store_options options);

}  // namespace banlist::service
