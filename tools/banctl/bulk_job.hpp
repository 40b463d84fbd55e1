// bulk_job: what `banctl import` and `banctl lift-bulk` share — counting the
// file's data lines, streaming it to the bulk route, matching each per-line
// result back to its file line, writing rejected lines with their error to a
// reject file, a progress bar, and resuming an interrupted run from the
// first unacknowledged line (resume_state.hpp; docs/banctl.md explains the
// design). Memory stays flat in the file size: the file is read twice in
// step (once to send, once to follow the acknowledgements), never held.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "api.hpp"

namespace banlist::banctl {

struct bulk_operation {
  std::string_view name;   // "import" or "lift-bulk": messages and state file names
  std::string_view route;  // "/v1/bans/import" or "/v1/bans/lift"
};

struct bulk_options {
  std::string file;
  std::optional<std::string> format;   // "csv" / "ndjson"; else from the extension
  std::optional<std::string> rejects;  // reject file; default FILE.<name>.rejects
  bool confirm = false;
  bool restart = false;        // ignore a saved state
  std::uint64_t max_rate = 0;  // lines per second, 0 = unlimited
};

// Runs the bulk operation; returns the exit code (docs/banctl.md).
int run_bulk(session& s, const bulk_operation& op, const bulk_options& options, std::ostream& out,
             std::ostream& err);

}  // namespace banlist::banctl
