// replica_set: a partner's exact local copy of the list — every banned
// fingerprint with its type and reason — kept current by applying delta
// batches in order. apply() is all-or-nothing: a batch that does not start
// at the replica's seq, that bans a fingerprint already held or lifts one
// not held, or whose resulting digest differs from the batch's, is refused
// and the replica is left exactly as it was. The client's algorithm around
// it (what to do on each error) is in docs/protocol.md (section 3).
//
// Thread-safety: none; a value type. Guard a shared replica with its owner's
// lock (readers may share a const one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/delta.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::sdk {

class replica_set {
 public:
  struct entry {
    identifier_type type = identifier_type::phone;
    ban_reason reason = ban_reason::other;

    friend bool operator==(const entry&, const entry&) = default;
  };

  // An empty list of history `epoch` at seq 0 (digest zero): the state
  // before change 1, from which GET /v1/deltas?since=0 replays everything.
  explicit replica_set(std::uint64_t epoch) noexcept : epoch_(epoch) {}

  // The state held by an exact (kind fps) snapshot. decode_snapshot already
  // checked it; a hand-built one is checked again (duplicate_entry,
  // count_mismatch, digest_mismatch), and a kind filter snapshot is refused
  // (bad_kind): a filter cannot be replicated exactly.
  static std::expected<replica_set, std::error_code> from_snapshot(const snapshot& snap);

  // Applies `batch` all-or-nothing. Errors, each leaving the replica unchanged:
  // validate(batch)'s (bad_value, too_large, bad_sequence); epoch_mismatch
  // (resync from a snapshot); seq_gap (batch.from != seq(): fetch from seq());
  // already_banned, not_banned, digest_mismatch (the replica and the server
  // disagree: resync from a snapshot).
  std::expected<void, std::error_code> apply(const delta_batch& batch);

  // Returns the entry of a banned fingerprint, or nullptr.
  const entry* find(const fingerprint& fp) const noexcept;
  bool contains(const fingerprint& fp) const noexcept { return find(fp) != nullptr; }

  std::uint64_t epoch() const noexcept { return epoch_; }
  std::uint64_t seq() const noexcept { return seq_; }
  const fingerprint& digest() const noexcept { return digest_; }
  std::size_t size() const noexcept { return entries_.size(); }

  // Returns every entry, ascending by fingerprint (the order of a kind fps snapshot).
  std::vector<snapshot_entry> sorted_entries() const;

 private:
  std::uint64_t epoch_ = 0;
  std::uint64_t seq_ = 0;
  fingerprint digest_;
  std::unordered_map<fingerprint, entry> entries_;
};

}  // namespace banlist::sdk
