// write_snapshot_files: the second pass of a streamed snapshot build, shared
// by the full build from a scan and the merge onto the previous snapshot's
// file. The first pass counted the entries and checked their digest (both
// go into the fps header); this one streams the same entries into the
// snapshot's fps file and a filter sized for them, then encodes the filter
// into its own file beside it.
//
// Thread-safety: as snapshot_directory's write and adopt.
#pragma once

#include <expected>
#include <functional>
#include <string>

#include "deltas/fps_file.hpp"
#include "deltas/snapshot_files.hpp"
#include "store/store.hpp"

namespace banlist::service {

// Calls its argument with every entry, ascending by fingerprint; returns
// the error that stopped it, if one did.
using entry_feed = std::function<std::expected<void, std::string>(
    const std::function<void(const banned_entry&)>&)>;

// `header` describes what `feed` gives (count and digest included); the
// filter is built at `fp_rate` with header.seed. On any error nothing is
// left in the directory and the error says what failed.
std::expected<stored_snapshot, std::string> write_snapshot_files(snapshot_directory& dir,
                                                                 const fps_header& header,
                                                                 double fp_rate,
                                                                 const entry_feed& feed);

}  // namespace banlist::service
