// change_window: the most recent changes this instance's change follower
// applied, already in wire form with the set digest after each one, so that
// GET /v1/deltas near the head is answered from memory instead of an XRANGE
// and a decode per entry (the poll path's cost was almost all Redis reads).
//
// The window is only ever a contiguous run of seqs of one epoch: an append
// that does not continue it (a gap, a rewind, another epoch) starts it over,
// and clear() drops it when the follower resyncs. A page the window cannot
// give whole (cursor before its first entry or at/after its last, another
// epoch) returns nullopt and the poll reads Redis instead; the cursor itself
// is still checked against Redis's head and retention (deltas/delta_poll.hpp),
// so the window changes how fast answers come, never what they say.
//
// Thread-safety: one writer (the follower) and any number of readers; a
// shared_mutex guards the ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "banlist/sdk/delta.hpp"
#include "store/records.hpp"

namespace banlist::service {

class change_window {
 public:
  // A capacity of 0 disables the window: read() always returns nullopt.
  explicit change_window(std::size_t capacity);

  // Appends the changes the follower just applied (ascending seqs, each with
  // the digest after it). Entries whose reason the wire cannot carry end the
  // window there (the Redis path reports them as a corrupt log).
  void append(std::uint64_t epoch, const std::vector<change>& changes);
  void clear();

  // The batch (since, to] with to = min(since + limit, newest), with the
  // digest at `to`, head = newest seq in the window and more = to < head; or
  // nullopt when the window does not hold seq since + 1 of `epoch`.
  std::optional<sdk::delta_batch> read(std::uint64_t epoch, std::uint64_t since, std::size_t limit,
                                       std::uint32_t min_wait_s) const;

  // Seqs held: [first_seq(), last_seq()], empty when last_seq() < first_seq().
  std::uint64_t first_seq() const;
  std::uint64_t last_seq() const;

 private:
  struct entry {
    sdk::delta_change change;
    fingerprint digest;
  };

  const entry& at(std::uint64_t seq) const;  // requires: first_ <= seq <= last; lock held

  const std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::vector<entry> ring_;  // guarded by mutex_; slot of seq s is s % capacity_
  std::uint64_t epoch_ = 0;  // guarded by mutex_
  std::uint64_t first_ = 1;  // guarded by mutex_
  std::uint64_t last_ = 0;   // guarded by mutex_; last_ < first_ means empty
};

}  // namespace banlist::service
