// snapshot_merge: the incremental snapshot build without the list in
// memory. It streams the previous snapshot's fps file (ascending by
// fingerprint) against the changes after its seq (sorted), and writes the
// new fps file and fills the new filter as it goes: memory is O(changes +
// filter), not O(list). The files are byte for byte what build_snapshot
// (the in-memory builder) makes from the same list and changes.
//
// Two passes over the previous file: the first checks it (codes, order,
// checksum, digest) and counts the new list (the header and the filter's
// size need the count up front); the second writes. The previous file is
// already in the page cache (it is being served), so the first pass costs
// little. A damaged previous file or a result that does not match the
// digest in Redis is an error and nothing is published; the caller then
// builds from a full scan.
//
// merge_scan is the full build the same way: its base is a scan of
// bl:banned (scan_runs.hpp) instead of a file, which is the list at some
// seq plus part of the changes after it. Replaying every change after that
// seq as an assignment (a ban sets the entry, a lift removes it) gives the
// list at input.seq whichever of them the scan saw.
//
// Thread-safety: free functions; run them on one thread (the snapshot
// cache's worker). They only read their base and add files to `dir`.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "deltas/scan_runs.hpp"
#include "deltas/snapshot_files.hpp"
#include "store/records.hpp"

namespace banlist::service {

struct merge_input {
  std::uint64_t epoch = 0;
  std::uint64_t seed = 0;
  double fp_rate = 0.001;
  std::vector<change> replay;  // every change after the base's seq up to `seq`, ascending
  std::uint64_t seq = 0;
  fingerprint digest;  // the set digest at `seq`
};

std::expected<stored_snapshot, std::string> merge_snapshot(snapshot_directory& dir,
                                                           const std::string& base_fps,
                                                           const merge_input& input);

std::expected<stored_snapshot, std::string> merge_scan(snapshot_directory& dir,
                                                       const scan_runs& scan,
                                                       const merge_input& input);

}  // namespace banlist::service
