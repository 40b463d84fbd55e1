// snapshot_checkpoint: a local file holding the newest list snapshot this
// instance served (the fps container of GET /v1/snapshot?kind=fps, written
// as is), so that a restart loads the banned set from disk and replays the
// change log after it, instead of scanning bl:banned in Redis. At 10M bans
// the scan costs Redis ~24 CPU-seconds and banlistd about a minute of wall
// time; the file is ~180 MB and decodes in well under a second.
//
// The file is only ever a hint. It is used when it decodes with every check
// of the container (checksum, order, digest) and the list in Redis provably
// continues it: same epoch and seed, the log still holds the change right
// after its seq, and the digest there agrees (continues()). Anything else —
// a missing, torn or foreign file, a trimmed log, a Redis that went back —
// and the caller scans as before.
//
// Thread-safety: free functions on values; write_checkpoint and
// read_checkpoint touch only the named file (and its temporary sibling).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "store/store.hpp"

namespace banlist::service {

struct checkpoint {
  std::uint64_t epoch = 0;
  std::uint64_t seed = 0;
  std::uint64_t seq = 0;
  fingerprint digest;                 // of the set at seq
  std::vector<banned_entry> entries;  // the set at seq, ascending by fp
};

// Replaces `path` with `fps_body` atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory. Creates the directory.
std::expected<void, std::string> write_checkpoint(const std::string& path,
                                                  std::span<const std::uint8_t> fps_body);

// Makes `path` the served fps file `source` (snapshot_files.hpp) durably:
// fsyncs it, hard-links it to a temporary name beside `path` (a copy when
// the two are on different file systems), renames that over `path` and
// fsyncs the directory. The link costs no copy and no memory; the served
// file is never modified, only unlinked, so the checkpoint outlives it.
std::expected<void, std::string> link_checkpoint(const std::string& path,
                                                 const std::string& source);

// Reads and fully decodes `path`. std::nullopt inside the expected: there is
// no such file (not an error: the first start).
std::expected<std::optional<checkpoint>, std::string> read_checkpoint(const std::string& path);

// Whether the change log in Redis continues the checkpoint's history.
// `next` is the log entry at cp.seq + 1 when cp.seq < log.head (null when it
// could not be read). Returns why not, otherwise.
std::expected<void, std::string> continues(const checkpoint& cp, std::uint64_t epoch,
                                           std::uint64_t seed, const change_log_state& log,
                                           const change* next);

}  // namespace banlist::service
