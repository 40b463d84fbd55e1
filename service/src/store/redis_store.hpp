// redis_store: the store implementation on Redis (see store.hpp for the
// contract and docs/redis-layout.md for the keys). Holds two connections: one
// pipelined connection for commands and scripts, and one for XREAD BLOCK so
// a blocked read never delays other commands.
//
// Thread-safety: as store; all I/O goes through the connections' strands.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/redis_connection.hpp"
#include "store/sentinel_resolver.hpp"
#include "store/store.hpp"

namespace banlist::service {

class redis_store final : public store {
 public:
  enum class script_id : std::size_t {
    ban,
    lift,
    key_create,
    key_revoke,
    init_list,
    trim_log,
    public_page,
    bulletin_put,
    bulletin_withdraw,
    migrate_order_codes,
    migrate_order,
    migrate_records,
    migrate_public,
    expire,  // issue 7: reports and expiry
    report_file,
    report_reject,
    report_accept,
    count
  };

  redis_store(boost::asio::any_io_executor executor, redis_endpoint endpoint,
              store_options options);
  ~redis_store() override;

  // Waits for the command connection (up to the command timeout).
  boost::asio::awaitable<store_result<void>> wait_ready();

  // The overrides are plain functions forwarding to coroutines, so the
  // coroutine frames' parameters are always move-constructed from xvalues.
  boost::asio::awaitable<store_result<list_identity>> init_list(std::uint64_t seed) override {
    return init_list_impl(seed);
  }
  boost::asio::awaitable<store_result<ban_outcome>> ban(ban_record proposed, actor who) override {
    return ban_impl(std::move(proposed), std::move(who));
  }
  boost::asio::awaitable<store_result<lift_outcome>> lift(fingerprint fp, std::string reason,
                                                          actor who) override {
    lift_request request{fp, std::move(reason), {}, {}};
    return lift_impl(std::move(request), std::move(who));
  }
  boost::asio::awaitable<store_result<std::optional<ban_record>>> get(fingerprint fp) override {
    return get_impl(fp);
  }
  boost::asio::awaitable<store_result<ban_page>> list(ban_query query) override {
    return list_impl(std::move(query));
  }
  boost::asio::awaitable<store_result<std::vector<check_answer>>> check(
      std::vector<fingerprint> fps) override {
    return check_impl(std::move(fps));
  }
  boost::asio::awaitable<store_result<std::uint64_t>> head_seq() override {
    return head_seq_impl();
  }
  boost::asio::awaitable<store_result<banned_set>> load_banned() override {
    return load_banned_impl();
  }
  boost::asio::awaitable<store_result<banned_entries>> load_banned_entries() override {
    return load_banned_entries_impl();
  }
  boost::asio::awaitable<store_result<std::uint64_t>> scan_banned(
      std::function<bool(std::span<const banned_entry>)> page) override {
    return scan_banned_impl(std::move(page));
  }
  std::uint64_t banned_scans() const noexcept override {
    return banned_scans_.load(std::memory_order_relaxed);
  }
  boost::asio::awaitable<store_result<change_log_state>> log_state() override {
    return log_state_impl();
  }
  boost::asio::awaitable<store_result<std::uint64_t>> trim_log(std::uint64_t oldest) override {
    return trim_log_impl(oldest);
  }
  boost::asio::awaitable<store_result<void>> record_snapshot(std::string instance_id,
                                                             std::uint64_t seq) override {
    return record_snapshot_impl(std::move(instance_id), seq);
  }
  boost::asio::awaitable<store_result<std::optional<std::uint64_t>>> oldest_snapshot_seq(
      std::chrono::milliseconds max_age) override {
    return oldest_snapshot_seq_impl(max_age);
  }
  boost::asio::awaitable<store_result<std::vector<change>>> read_changes(
      std::uint64_t after_seq, std::size_t count, std::chrono::milliseconds block) override {
    return read_changes_impl(after_seq, count, block);
  }
  boost::asio::awaitable<store_result<created_key>> create_key(
      role key_role, std::string name, actor who,
      std::optional<key_rate_limit> limit = std::nullopt) override {
    return create_key_impl(key_role, std::move(name), std::move(who), limit);
  }
  boost::asio::awaitable<store_result<api_key>> register_key(std::string secret, role key_role,
                                                             std::string name) override {
    return register_key_impl(std::move(secret), key_role, std::move(name));
  }
  boost::asio::awaitable<store_result<std::vector<api_key>>> list_keys() override {
    return list_keys_impl();
  }
  boost::asio::awaitable<store_result<bool>> revoke_key(std::string id, actor who) override {
    return revoke_key_impl(std::move(id), std::move(who));
  }
  boost::asio::awaitable<store_result<std::optional<api_key>>> find_key(
      std::string sha256_hex) override {
    return find_key_impl(std::move(sha256_hex));
  }
  boost::asio::awaitable<store_result<std::vector<audit_entry>>> audit(
      std::optional<std::string> before_id, std::size_t limit) override {
    return audit_impl(std::move(before_id), limit);
  }
  boost::asio::awaitable<store_result<std::vector<store_result<ban_outcome>>>> ban_many(
      std::vector<ban_record> proposed, actor who) override {
    return ban_many_impl(std::move(proposed), std::move(who));
  }
  boost::asio::awaitable<store_result<list_counts>> counts() override { return counts_impl(); }
  boost::asio::awaitable<store_result<void>> record_audit(std::string action, std::string target,
                                                          std::string detail, actor who) override {
    return record_audit_impl(std::move(action), std::move(target), std::move(detail),
                             std::move(who));
  }
  bool connected() const noexcept override;
  boost::asio::awaitable<void> close() override;
  boost::asio::awaitable<store_result<std::uint64_t>> public_version() override {
    return public_version_impl();
  }
  boost::asio::awaitable<store_result<public_page>> list_public(public_query query) override {
    return list_public_impl(std::move(query));
  }
  boost::asio::awaitable<store_result<std::vector<std::optional<public_entry>>>> public_entries(
      std::vector<fingerprint> fps) override {
    return public_entries_impl(std::move(fps));
  }
  boost::asio::awaitable<store_result<bulletin>> publish_bulletin(bulletin b, actor who) override {
    b.id.clear();
    return put_bulletin_impl(std::move(b), std::move(who));
  }
  boost::asio::awaitable<store_result<bulletin>> edit_bulletin(bulletin b, actor who) override {
    return put_bulletin_impl(std::move(b), std::move(who));
  }
  boost::asio::awaitable<store_result<void>> withdraw_bulletin(std::string id, actor who) override {
    return withdraw_bulletin_impl(std::move(id), std::move(who));
  }
  boost::asio::awaitable<store_result<std::optional<bulletin>>> get_bulletin(
      std::string id) override {
    return get_bulletin_impl(std::move(id));
  }
  boost::asio::awaitable<store_result<bulletin_page>> list_bulletins(std::uint64_t before_id,
                                                                     std::size_t limit) override {
    return list_bulletins_impl(before_id, limit);
  }

  // Issue 7: partner reports and expiry (redis_store_reports.cpp).
  boost::asio::awaitable<store_result<filed_report>> file_report(report proposed,
                                                                 actor who) override {
    return file_report_impl(std::move(proposed), std::move(who));
  }
  boost::asio::awaitable<store_result<std::optional<report>>> get_report(std::string id) override {
    return get_report_impl(std::move(id));
  }
  boost::asio::awaitable<store_result<report_page>> list_reports(report_query query) override {
    return list_reports_impl(std::move(query));
  }
  boost::asio::awaitable<store_result<report_decision>> accept_report(std::string id,
                                                                      ban_record ban,
                                                                      actor who) override {
    return accept_report_impl(std::move(id), std::move(ban), std::move(who));
  }
  boost::asio::awaitable<store_result<report_decision>> reject_report(std::string id,
                                                                      std::string reason,
                                                                      actor who) override {
    return reject_report_impl(std::move(id), std::move(reason), std::move(who));
  }
  boost::asio::awaitable<store_result<std::uint64_t>> open_report_count() override {
    return open_report_count_impl();
  }
  boost::asio::awaitable<store_result<std::vector<fingerprint>>> expiring_bans(
      std::int64_t now_s, std::size_t limit) override {
    return expiring_bans_impl(now_s, limit);
  }
  boost::asio::awaitable<store_result<std::optional<lift_outcome>>> expire_ban(
      fingerprint fp) override {
    return expire_ban_impl(fp);
  }
  // Issue 7 admin routes (redis_store_admin.cpp).
  boost::asio::awaitable<store_result<lift_outcome>> lift_with(lift_request request,
                                                               actor who) override {
    return lift_impl(std::move(request), std::move(who));
  }
  boost::asio::awaitable<store_result<std::vector<store_result<lift_outcome>>>> lift_many(
      std::vector<lift_request> requests, actor who) override {
    return lift_many_impl(std::move(requests), std::move(who));
  }
  boost::asio::awaitable<store_result<std::optional<ban_history>>> history(
      fingerprint fp) override {
    return history_impl(fp);
  }
  boost::asio::awaitable<store_result<export_page>> export_records(export_query query) override {
    return export_records_impl(query);
  }
  boost::asio::awaitable<store_result<audit_page>> audit_filtered(audit_query query) override {
    return audit_filtered_impl(std::move(query));
  }
  boost::asio::awaitable<store_result<std::vector<std::uint64_t>>> banned_by_type() override {
    return banned_by_type_impl();
  }
  boost::asio::awaitable<store_result<void>> put_instance(
      instance_record record, std::chrono::milliseconds drop_after) override {
    return put_instance_impl(std::move(record), drop_after);
  }
  boost::asio::awaitable<store_result<std::vector<instance_record>>> instances() override {
    return instances_impl();
  }

  // The command connection, for tests and diagnostics.
  const std::shared_ptr<redis_connection>& connection() const noexcept { return commands_; }

 private:
  boost::asio::awaitable<store_result<list_identity>> init_list_impl(std::uint64_t seed);
  boost::asio::awaitable<store_result<ban_outcome>> ban_impl(ban_record proposed, actor who);
  boost::asio::awaitable<store_result<lift_outcome>> lift_impl(lift_request request, actor who);
  boost::asio::awaitable<store_result<std::optional<ban_record>>> get_impl(fingerprint fp);
  boost::asio::awaitable<store_result<ban_page>> list_impl(ban_query query);
  boost::asio::awaitable<store_result<std::vector<check_answer>>> check_impl(
      std::vector<fingerprint> fps);
  boost::asio::awaitable<store_result<std::uint64_t>> head_seq_impl();
  boost::asio::awaitable<store_result<banned_set>> load_banned_impl();
  boost::asio::awaitable<store_result<banned_entries>> load_banned_entries_impl();
  boost::asio::awaitable<store_result<std::uint64_t>> scan_banned_impl(
      std::function<bool(std::span<const banned_entry>)> page);
  // The bans of the order buckets first..last (one pipelined HGETALL each)
  // whose seq is at most `head`, parsed and checked.
  boost::asio::awaitable<store_result<std::vector<banned_entry>>> read_order_buckets(
      std::uint64_t first, std::uint64_t last, std::uint64_t head);
  // Moves layout 2's bl:bans sorted set into the order buckets and drops
  // its bl:public sorted set (init_list).
  boost::asio::awaitable<store_result<void>> migrate_order();
  // Brings a list at an older layout (the bl:layout marker; "0" = 3 or
  // older) to kLayout and marks it (init_list).
  boost::asio::awaitable<store_result<void>> migrate_layout(std::string_view layout);
  // Layout 3 -> 4: the record hashes into packed records.
  boost::asio::awaitable<store_result<void>> migrate_records();
  // Layout 4 -> 5: the notice board indexes into the public count.
  boost::asio::awaitable<store_result<void>> migrate_public();
  // Layout 7 -> 8: every order value in its coded form, then the
  // bl:banned buckets, their bitmap and layout 1's hash deleted.
  boost::asio::awaitable<store_result<void>> migrate_banned_into_order();
  // One SCAN page of the keys matching `pattern` (of `type`, unless empty).
  struct key_page {
    std::string cursor;  // "0" after the last page
    std::vector<std::string> keys;
  };
  boost::asio::awaitable<store_result<key_page>> scan_page(std::string cursor, std::string pattern,
                                                           std::string_view type);
  boost::asio::awaitable<store_result<change_log_state>> log_state_impl();
  boost::asio::awaitable<store_result<std::uint64_t>> trim_log_impl(std::uint64_t oldest);
  boost::asio::awaitable<store_result<void>> record_snapshot_impl(std::string instance_id,
                                                                  std::uint64_t seq);
  boost::asio::awaitable<store_result<std::optional<std::uint64_t>>> oldest_snapshot_seq_impl(
      std::chrono::milliseconds max_age);
  boost::asio::awaitable<store_result<std::vector<change>>> read_changes_impl(
      std::uint64_t after_seq, std::size_t count, std::chrono::milliseconds block);
  boost::asio::awaitable<store_result<created_key>> create_key_impl(
      role key_role, std::string name, actor who, std::optional<key_rate_limit> limit);
  boost::asio::awaitable<store_result<api_key>> register_key_impl(std::string secret, role key_role,
                                                                  std::string name);
  boost::asio::awaitable<store_result<std::vector<api_key>>> list_keys_impl();
  boost::asio::awaitable<store_result<bool>> revoke_key_impl(std::string id, actor who);
  boost::asio::awaitable<store_result<std::optional<api_key>>> find_key_impl(
      std::string sha256_hex);
  boost::asio::awaitable<store_result<std::vector<audit_entry>>> audit_impl(
      std::optional<std::string> before_id, std::size_t limit);

  boost::asio::awaitable<store_result<std::uint64_t>> public_version_impl();
  boost::asio::awaitable<store_result<public_page>> list_public_impl(public_query query);
  boost::asio::awaitable<store_result<std::vector<std::optional<public_entry>>>>
  public_entries_impl(std::vector<fingerprint> fps);
  boost::asio::awaitable<store_result<bulletin>> put_bulletin_impl(bulletin b, actor who);
  boost::asio::awaitable<store_result<void>> withdraw_bulletin_impl(std::string id, actor who);
  boost::asio::awaitable<store_result<std::optional<bulletin>>> get_bulletin_impl(std::string id);
  boost::asio::awaitable<store_result<bulletin_page>> list_bulletins_impl(std::uint64_t before_id,
                                                                          std::size_t limit);
  // Issue 7 (redis_store_bulk.cpp).
  boost::asio::awaitable<store_result<std::vector<store_result<ban_outcome>>>> ban_many_impl(
      std::vector<ban_record> proposed, actor who);
  boost::asio::awaitable<store_result<list_counts>> counts_impl();
  boost::asio::awaitable<store_result<void>> record_audit_impl(std::string action,
                                                               std::string target,
                                                               std::string detail, actor who);
  // Issue 7: reports and expiry (redis_store_reports.cpp).
  boost::asio::awaitable<store_result<filed_report>> file_report_impl(report proposed, actor who);
  boost::asio::awaitable<store_result<std::optional<report>>> get_report_impl(std::string id);
  boost::asio::awaitable<store_result<report_page>> list_reports_impl(report_query query);
  boost::asio::awaitable<store_result<report_decision>> accept_report_impl(std::string id,
                                                                           ban_record ban,
                                                                           actor who);
  boost::asio::awaitable<store_result<report_decision>> reject_report_impl(std::string id,
                                                                           std::string reason,
                                                                           actor who);
  boost::asio::awaitable<store_result<std::uint64_t>> open_report_count_impl();
  boost::asio::awaitable<store_result<std::vector<fingerprint>>> expiring_bans_impl(
      std::int64_t now_s, std::size_t limit);
  boost::asio::awaitable<store_result<std::optional<lift_outcome>>> expire_ban_impl(fingerprint fp);
  // Reads the evidence of report `id` into `r` (a second GET).
  boost::asio::awaitable<store_result<void>> load_evidence(report& r);

  // ban.lua's ARGV for a batch of bans (audit mode "each" or "batch"), and
  // its reply decoded into one outcome per proposed ban.
  static std::vector<std::string> ban_args(std::span<const ban_record> proposed, const actor& who,
                                           std::string_view audit_mode);
  static store_result<std::vector<store_result<ban_outcome>>> decode_ban_reply(
      std::span<const ban_record> proposed, const actor& who, const redis_value& reply);
  // Issue 7 admin routes (redis_store_admin.cpp).
  boost::asio::awaitable<store_result<std::vector<store_result<lift_outcome>>>> lift_many_impl(
      std::vector<lift_request> requests, actor who);
  boost::asio::awaitable<store_result<std::optional<ban_history>>> history_impl(fingerprint fp);
  boost::asio::awaitable<store_result<export_page>> export_records_impl(export_query query);
  boost::asio::awaitable<store_result<audit_page>> audit_filtered_impl(audit_query query);
  boost::asio::awaitable<store_result<std::vector<std::uint64_t>>> banned_by_type_impl();
  boost::asio::awaitable<store_result<void>> put_instance_impl(
      instance_record record, std::chrono::milliseconds drop_after);
  boost::asio::awaitable<store_result<std::vector<instance_record>>> instances_impl();
  // The lift script's ARGV for `request`, and its reply decoded.
  std::vector<std::string> lift_args(const lift_request& request, const actor& who) const;
  static store_result<lift_outcome> decode_lift_reply(const fingerprint& fp,
                                                      const redis_value& reply);
  // Runs `id` once per (keys, args) in one pipelined write (plus one WAIT
  // with --replica-acks) and returns each run's reply, in order. A run
  // that met NOSCRIPT is sent again as EVAL; a WAIT shortfall makes every
  // run outcome_unknown. The outer error: no reply came for the batch.
  using script_call = std::pair<std::vector<std::string>, std::vector<std::string>>;
  boost::asio::awaitable<store_result<std::vector<store_result<redis_value>>>> run_script_many(
      script_id id, std::vector<script_call> calls);
  using seq_records = std::vector<std::pair<std::uint64_t, std::optional<ban_record>>>;
  // Records of `index` (a sorted set of fingerprints, score = seq) with
  // score > after, at most `n`, read with one pipelined HGETALL: each
  // entry is (score, record or nullopt when the record is gone).
  boost::asio::awaitable<store_result<seq_records>> read_index(std::string index,
                                                               std::uint64_t after, std::size_t n);
  // The records of (seq, fp) pairs, one pipelined HGETALL, in the same order.
  boost::asio::awaitable<store_result<seq_records>> read_records(
      std::vector<std::pair<std::uint64_t, fingerprint>> entries);
  // Banned records in ban order (the bl:bans:{n} buckets) with seq > after:
  // at most `n`, from at most kOrderMaxBuckets buckets. `next_after` is the
  // seq to go on from (the last one returned when `n` were, else the end of
  // the last bucket read); `at_end` says the buckets up to the head seq
  // were all read.
  struct order_page {
    seq_records entries;
    std::uint64_t next_after = 0;
    bool at_end = false;
  };
  boost::asio::awaitable<store_result<order_page>> read_order(std::uint64_t after, std::size_t n);

  struct script {
    std::string_view source;
    std::string sha1;
  };

  std::string key(std::string_view suffix) const;
  std::vector<std::string> ban_keys() const;
  std::vector<std::string> lift_keys(const fingerprint& fp) const;
  // HGET of fp's packed record: the bucket `rec:{first four hex digits}`,
  // field fingerprint_bytes(fp) (record.lua).
  std::vector<std::string> record_read(const fingerprint& fp) const;
  // Its reply: nullopt when there is no record.
  static store_result<std::optional<ban_record>> decode_record_reply(const fingerprint& fp,
                                                                     const redis_value& reply);

  // EVALSHA, falling back to EVAL when Redis lost the script (NOSCRIPT).
  // Error replies become store_error.
  boost::asio::awaitable<store_result<redis_value>> run_script(script_id id,
                                                               std::vector<std::string> keys,
                                                               std::vector<std::string> args);
  // One command; error replies become store_error.
  boost::asio::awaitable<store_result<redis_value>> command(std::vector<std::string> args);
  boost::asio::awaitable<store_result<api_key>> store_key(
      std::string sha, role key_role, std::string name, actor who, std::string action,
      std::optional<key_rate_limit> limit = std::nullopt);

  // A mutation script, followed (pipelined, same connection) by WAIT when
  // options_.replica_acks > 0. Returns the script's reply and, with WAIT,
  // how many replicas acknowledged it.
  struct mutation_reply {
    redis_value reply;
    std::optional<std::int64_t> acks;
  };
  boost::asio::awaitable<store_result<mutation_reply>> run_mutation(script_id id,
                                                                    std::vector<std::string> keys,
                                                                    std::vector<std::string> args);
  // outcome_unknown when WAIT saw fewer than options_.replica_acks replicas.
  std::optional<store_error> replication_shortfall(const mutation_reply& m) const;

  store_options options_;
  std::array<script, static_cast<std::size_t>(script_id::count)> scripts_;
  std::shared_ptr<redis_connection> commands_;
  std::shared_ptr<redis_connection> blocking_;
  std::shared_ptr<sentinel_resolver> sentinel_;  // null without --redis-sentinel
  std::shared_ptr<redis_connection> replica_;    // --read-from-replicas, else null
  std::atomic<std::uint64_t> banned_scans_{0};   // scans of the banned set begun

  // HMGETs the check fields of `fps` on `connection` (one pipeline).
  boost::asio::awaitable<store_result<std::vector<check_answer>>> check_on(
      std::shared_ptr<redis_connection> connection, const std::vector<fingerprint>& fps);
};

}  // namespace banlist::service
