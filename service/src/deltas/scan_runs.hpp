// scan_runs: a full scan of the banned set kept sorted on disk rather than
// in memory. The scan hands out pages in bucket order, unsorted within a
// page; a snapshot and the filter need the list once each, ascending. At 10M bans
// the scan as one vector was 240 MB, and up to twice that while it grew
// (issue 3 allows the whole process 1.5 x the filter + 100 MB, ~160 MB).
//
// add() buffers entries; whenever the buffer holds a run's worth they are
// sorted and written as one run file in the snapshot directory. walk()
// merges the runs (one small read buffer per run, a heap of their heads)
// into one ascending stream without duplicates, and may be called any
// number of times: the follower walks it to fill the filter, the snapshot
// build twice more (count, then write). A scan that fits in one run never
// touches the disk, nor does one without a directory (it stays in memory).
//
// The run files are this process's own scratch: no checksum and no fsync
// (the snapshot made from them is proven against the digest in Redis), and
// they unlink themselves when the last scan_runs sharing them goes.
//
// Thread-safety: add() and seal() from one thread; after seal(), walk()
// from any threads (each walk opens its own descriptors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deltas/snapshot_files.hpp"
#include "store/store.hpp"

namespace banlist::service {

class scan_runs {
 public:
  // 512Ki entries: 12 MB to buffer, twice that while one is sorted; 20
  // runs at 10M bans.
  static constexpr std::size_t kDefaultRunEntries = std::size_t{1} << 19;

  // Runs go to `dir` when it is open; `dir` must outlive the runs.
  explicit scan_runs(snapshot_directory* dir, std::size_t run_entries = kDefaultRunEntries);

  // Appends a page of the scan; spills a run when the buffer is full.
  // Errors: a run file that cannot be written (nothing is kept of it).
  std::expected<void, std::string> add(std::span<const banned_entry> page);

  // Ends the scan: sorts what is buffered (it stays in memory as the last
  // run). Call once, after the last add().
  void seal();

  // Entries added, duplicates included: an upper bound of the list's size.
  std::uint64_t added() const noexcept { return added_; }
  // Run files written (the in-memory tail not counted).
  std::size_t files() const noexcept { return runs_.size(); }

  // Calls emit for every fingerprint once, ascending (of two entries with
  // the same fingerprint, one is kept). Errors: a run file that cannot be
  // read back whole.
  std::expected<void, std::string> walk(const std::function<void(const banned_entry&)>& emit) const;

 private:
  std::expected<void, std::string> spill();

  snapshot_directory* dir_;
  std::size_t run_entries_;
  std::vector<banned_entry> buffer_;  // unsorted until seal(), then the last run
  std::vector<std::shared_ptr<const snapshot_file>> runs_;  // sorted, each unlinks itself
  std::uint64_t added_ = 0;
  bool sealed_ = false;
};

}  // namespace banlist::service
