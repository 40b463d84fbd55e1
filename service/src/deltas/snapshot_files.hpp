// snapshot_files: where published snapshots live — as files in one
// directory, not in memory (at 10M bans the two containers are ~200 MB).
// GET /v1/snapshot opens the file and sends it (http::file_body); the page
// cache, not banlistd's heap, holds the bytes.
//
// A snapshot_file owns one file: when the last reference goes (the snapshot
// it belongs to was superseded and no request still holds it), the file is
// unlinked. A response being sent keeps its own open descriptor, so an
// unlink never cuts a download short (POSIX). snapshot_directory names new
// files uniquely and, when it opens, removes what a previous run of this
// instance left behind (a crash skips the unlinks).
//
// Where: --snapshot-dir, default DATA/snapshots with the embedded Redis;
// with --redis or --redis-sentinel and no --snapshot-dir a private
// directory made for this process under $TMPDIR (or /tmp) and removed at
// exit, since instances may share a working directory
// (docs/decisions.md, "Snapshots in files").
//
// Thread-safety: snapshot_file is immutable; snapshot_directory's next_path()
// may be called from any thread (an atomic counter), open() once.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::service {

struct built_snapshot;

class snapshot_file {
 public:
  snapshot_file(std::string path, std::uint64_t size) : path_(std::move(path)), size_(size) {}
  ~snapshot_file();  // unlinks the file
  snapshot_file(const snapshot_file&) = delete;
  snapshot_file& operator=(const snapshot_file&) = delete;

  const std::string& path() const noexcept { return path_; }
  std::uint64_t size() const noexcept { return size_; }

 private:
  std::string path_;
  std::uint64_t size_;
};

// A published snapshot: its header fields and its two container files.
struct stored_snapshot {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  fingerprint digest;
  std::uint64_t count = 0;
  std::shared_ptr<const snapshot_file> filter;  // container, kind filter
  std::shared_ptr<const snapshot_file> fps;     // container, kind fps
};

class snapshot_directory {
 public:
  snapshot_directory() = default;
  ~snapshot_directory();  // removes a private directory
  snapshot_directory(const snapshot_directory&) = delete;
  snapshot_directory& operator=(const snapshot_directory&) = delete;

  // Creates `dir` (empty: a private one under $TMPDIR) and removes stale
  // snapshot files in it. Errors: the directory cannot be made or listed.
  std::expected<void, std::string> open(const std::string& dir);
  bool is_open() const noexcept { return !dir_.empty(); }
  const std::string& path() const noexcept { return dir_; }

  // A new file name in the directory for `seq` ("snapshot-<seq>-<n>.<ext>").
  std::string next_path(std::uint64_t seq, std::string_view ext);

  // Writes `bytes` to a new file (a temporary name, then a rename: a
  // reader never sees a partial one). No fsync: these serve this process
  // only (the checkpoint syncs its own link). Errors name the file.
  std::expected<std::shared_ptr<const snapshot_file>, std::string> write(
      std::uint64_t seq, std::string_view ext, std::span<const std::uint8_t> bytes);

  // Moves a finished temporary file to its final name and takes ownership.
  std::expected<std::shared_ptr<const snapshot_file>, std::string> adopt(
      const std::string& temporary, std::uint64_t seq, std::string_view ext, std::uint64_t size);

  // Both bodies of an in-memory build, written as files.
  std::expected<stored_snapshot, std::string> store(const built_snapshot& built);

 private:
  std::string dir_;
  bool private_ = false;
  std::atomic<std::uint64_t> counter_{0};
};

// The name prefix of every file snapshot_directory makes (stale-file cleanup
// removes only these).
inline constexpr std::string_view kSnapshotFilePrefix = "snapshot-";

}  // namespace banlist::service
