// snapshot_builder: turns a scan of the banned set plus the change-log
// entries that follow it into the two encoded snapshots of one seq
// (kind filter and kind fps, sdk/snapshot.hpp), and proves them consistent:
// the XOR of the resulting set must equal the digest recorded for that seq.
//
// This is the in-memory builder: the whole list and both bodies in memory.
// banlistd itself streams its builds to files (snapshot_merge.hpp); this
// one is the reference the tests hold those files to, byte for byte, and
// what the benchmarks time. Pure CPU work on values; thread-safe as a free
// function.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "deltas/snapshot_files.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

namespace banlist::service {

struct snapshot_input {
  std::uint64_t epoch = 0;
  std::uint64_t seed = 0;
  double fp_rate = 0.001;
  // The scan (store::load_banned_entries): the list at some seq <= `seq`
  // plus part of the changes up to `seq`.
  std::vector<banned_entry> scanned;
  bool scanned_sorted = false;  // scanned is ascending by fp (an earlier snapshot's list)
  // Every change-log entry after the scan's start seq up to `seq`, ascending.
  std::vector<change> replay;
  std::uint64_t seq = 0;
  fingerprint digest;  // the set digest at `seq` (bl:digest read with bl:seq)
};

struct built_snapshot {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  fingerprint digest;
  std::uint64_t count = 0;
  std::vector<std::uint8_t> filter_body;  // container, kind filter
  std::vector<std::uint8_t> fps_body;     // container, kind fps
};

// Returns both encodings of the list at input.seq. Errors (a message): the
// digest does not match the set (the caller rebuilds), an unknown type or
// reason code, or the filter cannot be sized.
std::expected<built_snapshot, std::string> build_snapshot(snapshot_input input);

// The list a built snapshot holds, ascending by fp (decoded from its fps
// container): the base of an incremental build, which then only replays the
// changes after its seq instead of scanning Redis again.
std::expected<std::vector<banned_entry>, std::string> entries_of(const built_snapshot& built);

}  // namespace banlist::service
