// finish_snapshot_files: the last step of a streamed snapshot build (a full
// build from a scan, or a merge onto the previous snapshot's file), shared
// by both: the fps file written to a temporary path becomes the snapshot's,
// and the filter is encoded into its file beside it.
//
// Thread-safety: as snapshot_directory's write and adopt.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "banlist/bloom/filter.hpp"
#include "deltas/fps_file.hpp"
#include "deltas/snapshot_files.hpp"

namespace banlist::service {

// `fps_size` is the written file's size, or the error that stopped the
// writing. On any error the temporary file is removed and nothing is left
// in the directory; the error says what failed.
std::expected<stored_snapshot, std::string> finish_snapshot_files(
    snapshot_directory& dir, const std::string& temporary,
    std::expected<std::uint64_t, std::string> fps_size, const fps_header& header,
    const bloom::filter& filter);

}  // namespace banlist::service
