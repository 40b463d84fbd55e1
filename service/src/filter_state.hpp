// filter_state: the in-memory Bloom filter of every banned fingerprint, the
// change-log seq it covers, and whether it is loaded yet.
//
// Thread-safety: every member may be called from any thread. Lookups and
// inserts go to the current filter without a lock (the filter allows
// concurrent insert and lookup); install() swaps in a rebuilt filter through
// an atomic shared_ptr, so a lookup holds the filter it started with.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/fingerprint.hpp"
#include "deltas/seq_signal.hpp"

namespace banlist::service {

class filter_state {
 public:
  static constexpr std::uint64_t kMinLiftsForRebuild = 64;

  struct stats {
    bool loaded = false;
    std::uint64_t seq = 0;
    std::uint64_t items = 0;
    std::uint64_t lifted = 0;
    std::uint64_t bits = 0;
    std::uint64_t bytes = 0;
    std::uint64_t capacity = 0;
    double estimated_fp_rate = 0;
    std::uint64_t builds = 0;  // filters installed since the process started
  };

  // Replaces the filter with `built`, which holds every ban up to `seq` and
  // was sized for `capacity` items; marks the state loaded.
  void install(bloom::filter built, std::uint64_t capacity, std::uint64_t seq);

  bool loaded() const noexcept { return loaded_.load(std::memory_order_acquire); }

  // Seq of the newest change the filter reflects.
  std::uint64_t seq() const noexcept { return seq_.load(std::memory_order_acquire); }
  void advance_seq(std::uint64_t seq) noexcept;

  // Adds a banned fingerprint (skipped if already present, so item_count
  // stays close to the number of distinct bans). No-op before install().
  void insert(const fingerprint& fp) noexcept;
  // Counts a lift: the filter cannot forget it, it only goes stale.
  void record_lift() noexcept { lifted_.fetch_add(1, std::memory_order_relaxed); }

  // False: certainly not banned (as of seq()). True: maybe banned, ask Redis.
  // Requires: loaded().
  bool may_contain(const fingerprint& fp) const noexcept;
  // out[i] = may_contain(fps[i]); out.size() >= fps.size().
  void may_contain_batch(std::span<const fingerprint> fps, std::span<bool> out) const noexcept;

  // True when the filter has outgrown its capacity or more than 10% of its
  // entries (and at least kMinLiftsForRebuild) were lifted: time to rebuild from the banned set.
  bool needs_rebuild() const noexcept;

  stats snapshot() const noexcept;

  // History regression (docs/operations.md): the primary's change log went
  // back below what this filter applied (a failover or restart lost writes,
  // or the list was rebuilt). note_regression() records why and marks a
  // resync in progress; the next install() ends it. /readyz answers 503
  // with the reason meanwhile, and /metrics counts regressions.
  void note_regression(std::string reason);
  // The reason while a resync after a regression is in progress.
  std::optional<std::string> resyncing() const;
  // The last regression's reason (kept after the resync), and how many.
  std::string last_regression() const;
  std::uint64_t regressions() const noexcept {
    return regressions_.load(std::memory_order_relaxed);
  }

  // Signalled whenever seq() advances (install and advance_seq), so
  // long-polls can wait for a change without asking Redis.
  seq_signal& seq_advanced() noexcept { return seq_advanced_; }

 private:
  struct built_filter {
    bloom::filter filter;
    std::uint64_t capacity;
  };
  std::atomic<std::shared_ptr<built_filter>> current_;
  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::uint64_t> lifted_{0};  // lifts since the current filter was built
  std::atomic<std::uint64_t> builds_{0};
  seq_signal seq_advanced_;
  std::atomic<std::uint64_t> regressions_{0};
  mutable std::mutex regression_mutex_;
  bool resyncing_ = false;       // guarded by regression_mutex_
  std::string last_regression_;  // guarded by regression_mutex_
};

}  // namespace banlist::service
