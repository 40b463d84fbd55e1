// local_replica: the partner's local copy of the ban list, as the SDK client
// keeps it — started from a snapshot, advanced by delta batches in order, and
// answering checks in tens of nanoseconds without the network.
//
// Two modes (docs/sdk.md):
//   - replica: every banned fingerprint with its type and reason, from an
//     exact (kind fps) snapshot; answers are exact (banned / not_banned).
//     ~21 bytes per ban.
//   - filter: the server's Bloom filter (kind filter snapshot), ~2 bytes per
//     ban; a filter hit is `maybe` (confirm online). Bans since the snapshot
//     are inserted into the filter and also kept exactly (so they answer
//     `banned` with their reason); lifts since the snapshot are kept in a
//     small exact set consulted on a filter hit, so a lifted account stops
//     matching as soon as its delta is applied.
//
// apply() follows docs/protocol.md (section 3)'s algorithm: a batch of another
// epoch, one that does not start at seq(), one that bans a fingerprint
// known to be banned or lifts one known not to be, or whose resulting digest
// differs from the batch's, is refused and changes nothing. Everything is
// checked before the first change is made, so readers only ever see states
// the server had: a batch longer than kApplyChunk is applied in chunks, and
// between two chunks seq() is the seq of the last change applied (the
// server's state at that seq). The digest is verified in both modes (the filter cannot
// list its fingerprints, but the running XOR does not need them).
//
// Thread-safety: check(), status() and the accessors may be called from any
// number of threads concurrently with one writer (load_snapshot, apply,
// note_server_head, set_change_callback); writers are serialised
// internally. Readers never wait for the network; they wait for a writer
// only while it changes at most kApplyChunk entries (microseconds), and
// they touch no shared cache line that another reader writes
// (sdk/src/client/read_mostly_lock.hpp explains the lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/delta.hpp"
#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::sdk {

enum class client_mode : std::uint8_t {
  filter = 1,
  replica = 2,
};

std::string_view to_string(client_mode mode) noexcept;
std::optional<client_mode> parse_client_mode(std::string_view name) noexcept;

enum class check_verdict : std::uint8_t {
  not_banned = 1,  // certainly not on the list (as of the replica's seq)
  banned = 2,      // on the list
  maybe = 3,       // filter mode: the filter matched; confirm online
  unknown = 4,     // no replica loaded yet: nothing is known
};

std::string_view to_string(check_verdict verdict) noexcept;

struct check_result {
  check_verdict verdict = check_verdict::unknown;
  fingerprint fp;
  // Known for `banned`: the type and reason the ban was filed with.
  std::optional<identifier_type> type;
  std::optional<ban_reason> reason;
  // The replica's seq the answer reflects (0 before anything was loaded).
  std::uint64_t seq = 0;
  // Filled by an online confirmation: the server answered this verdict.
  bool confirmed_online = false;
};

struct replica_status {
  client_mode mode = client_mode::replica;
  bool loaded = false;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;   // applied seq
  std::uint64_t head = 0;  // newest seq the server reported (>= seq once known)
  std::uint64_t lag = 0;   // head - seq
  std::uint64_t snapshot_seq = 0;
  fingerprint digest;       // set digest at seq
  std::uint64_t seed = 0;   // fingerprint seed of the deployment
  std::uint64_t count = 0;  // banned fingerprints at seq
  std::uint64_t changes_since_snapshot = 0;
  std::size_t memory_bytes = 0;  // bytes held by the lookup structures
  // When the replica last heard from the server (a snapshot, a batch or a
  // heartbeat); the epoch of system_clock if never.
  std::chrono::system_clock::time_point last_sync{};
};

class local_replica {
 public:
  // Changes applied per exclusive section; readers wait at most this many.
  static constexpr std::size_t kApplyChunk = 256;

  using change_callback = std::function<void(const delta_change&)>;

  explicit local_replica(client_mode mode);
  ~local_replica();
  local_replica(const local_replica&) = delete;
  local_replica& operator=(const local_replica&) = delete;

  client_mode mode() const noexcept;

  // Replaces the whole state with `snap` (its kind must match the mode:
  // fps for replica, filter for filter mode: bad_kind otherwise). The old
  // state keeps answering until the new one is built. Errors: bad_kind,
  // duplicate_entry / not_sorted / digest_mismatch / count_mismatch for a
  // hand-built fps snapshot that decode_snapshot would have refused.
  std::expected<void, std::error_code> load_snapshot(snapshot&& snap);

  // Applies one batch all-or-nothing. Errors (nothing changed): the
  // batch's validate() errors; no_replica (std::errc::operation_not_permitted)
  // before a snapshot; epoch_mismatch; seq_gap (batch.from != seq());
  // already_banned; not_banned; digest_mismatch. On success the change
  // callback runs once per change, in order, on this thread.
  std::expected<void, std::error_code> apply(const delta_batch& batch);

  // Records what the server said its head is (from a batch, heartbeat or
  // stream) and that it was heard from now.
  void note_server_head(std::uint64_t head) noexcept;

  // Returns the verdict for one fingerprint. Never blocks on the network.
  check_result check(const fingerprint& fp) const noexcept;

  // out[i] = check(fps[i]) for i < min(fps.size(), out.size()), all from one
  // state (one read-lock acquisition). For many fingerprints at once: the
  // memory of later items is prefetched while earlier ones are answered, so
  // their cache misses overlap (one miss to DRAM costs ~120 ns here, more
  // than a whole check from cache).
  void check_many(std::span<const fingerprint> fps, std::span<check_result> out) const noexcept;

  // Normalizes `value`, fingerprints it with the deployment's seed and
  // checks it. Error: the value does not normalize. Before a snapshot is
  // loaded the seed is unknown and the verdict is `unknown`.
  std::expected<check_result, normalize_error> check(identifier_type type,
                                                     std::string_view value) const;

  replica_status status() const;

  // Called once per change, after the chunk holding it (at most kApplyChunk
  // changes of a batch) is applied, outside the lock: checks made from the
  // callback already see the change. Replaces any earlier callback.
  void set_change_callback(change_callback callback);

  // Returns the state as an exact snapshot container (replica mode only,
  // for compacting the stored replica). Error: bad_kind in filter mode,
  // no_replica before a snapshot.
  std::expected<std::vector<std::uint8_t>, std::error_code> encode_exact_snapshot() const;

 private:
  struct state;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace banlist::sdk
