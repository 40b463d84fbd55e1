// The partner replica on disk, so that a restarted partner answers at once
// and catches up from its seq instead of downloading the list again.
//
// A storage directory holds two files (docs/sdk.md has the byte layout):
//   replica.snapshot  a snapshot container exactly as docs/protocol.md (section 3)
//                     defines it (as received, or re-encoded from the exact
//                     replica when the log is compacted);
//   replica.deltas    the delta log: the batches applied since that snapshot,
//                     bound to it by its checksum, epoch and seq.
// Each file is replaced atomically (temp file, fsync, rename, fsync of the
// directory) and carries an XXH3-64 checksum over every other byte; each is
// decoded by the protocol library's validating decoders. A file that fails
// any check is deleted and never used: a bad snapshot discards the replica
// (the client downloads a new one); a bad log discards the log (the client
// catches up from the snapshot's seq).
//
// Thread-safety: encode_delta_log / decode_delta_log are pure. A
// stored_replica is driven by one thread (the client's network thread);
// its replica() may be checked from any thread (see client_replica.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "banlist/sdk/client_replica.hpp"
#include "banlist/sdk/delta.hpp"

namespace banlist::sdk {

inline constexpr std::string_view kStoredSnapshotName = "replica.snapshot";
inline constexpr std::string_view kStoredDeltaLogName = "replica.deltas";

namespace delta_log_format {
inline constexpr std::array<std::uint8_t, 4> kMagic = {'B', 'L', 'C', 'L'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kVersionOffset = 4;
inline constexpr std::size_t kModeOffset = 5;
inline constexpr std::size_t kReservedOffset = 6;  // 2 bytes
inline constexpr std::size_t kChecksumOffset = 8;
inline constexpr std::size_t kSnapshotChecksumOffset = 16;
inline constexpr std::size_t kEpochOffset = 24;
inline constexpr std::size_t kSnapshotSeqOffset = 32;
inline constexpr std::size_t kAppliedSeqOffset = 40;
inline constexpr std::size_t kSavedAtOffset = 48;
inline constexpr std::size_t kBatchCountOffset = 56;
inline constexpr std::size_t kReserved2Offset = 60;  // 4 bytes
inline constexpr std::size_t kHeaderBytes = 64;
// Each batch: u32 length, then that many bytes of a binary delta batch.
inline constexpr std::size_t kBatchLengthBytes = 4;
inline constexpr std::size_t kMinBatchBytes = 72;
inline constexpr std::size_t kMaxBatchBytes = 72 + 40 * 65536;
inline constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;
}  // namespace delta_log_format

// Largest stored snapshot read back (a 100M-entry exact list is 1.8 GB).
inline constexpr std::size_t kMaxStoredSnapshotBytes = std::size_t{4} << 30;

struct delta_log {
  client_mode mode = client_mode::replica;
  std::uint64_t snapshot_checksum = 0;  // the stored snapshot's checksum field
  std::uint64_t epoch = 0;
  std::uint64_t snapshot_seq = 0;
  std::uint64_t applied_seq = 0;  // the last batch's `to`, or snapshot_seq if none
  std::int64_t saved_at_ms = 0;
  std::vector<delta_batch> batches;  // chained: first.from = snapshot_seq, next.from = prev.to

  friend bool operator==(const delta_log&, const delta_log&) = default;
};

// Returns the file bytes. Requires: valid batches, chained as documented.
std::vector<std::uint8_t> encode_delta_log(const delta_log& log);

// Reads a delta log from untrusted bytes. Checks, in order: length >= header
// (truncated), magic (bad_magic), version (unsupported_version), mode
// (bad_value), reserved bytes (bad_reserved), length <= kMaxFileBytes
// (too_large), checksum (bad_checksum), then each batch: its length in
// [72, kMaxBatchBytes] and inside the file (truncated / bad_length),
// decode_delta_binary, its epoch (epoch_mismatch) and chaining
// (seq_gap), applied_seq (bad_sequence), no trailing bytes (bad_length).
std::expected<delta_log, std::error_code> decode_delta_log(std::span<const std::uint8_t> bytes);

// What opening a storage directory found.
struct load_report {
  bool snapshot_loaded = false;
  std::size_t batches_applied = 0;
  std::uint64_t seq = 0;
  std::error_code snapshot_error;  // set when a stored snapshot was discarded
  std::error_code log_error;       // set when a stored delta log was discarded
};

class stored_replica {
 public:
  // Replica mode: once the log holds more changes than
  // max(kCompactMinChanges, count / kCompactDivisor), flush() writes a new
  // snapshot from the replica instead.
  static constexpr std::uint64_t kCompactMinChanges = 4096;
  static constexpr std::uint64_t kCompactDivisor = 8;

  // Opens (creating) `dir` and loads what it holds into a new replica.
  // Errors: the directory cannot be created or read. Corrupt files are not
  // errors: they are deleted and reported in *report.
  static std::expected<std::unique_ptr<stored_replica>, std::error_code> open(
      const std::filesystem::path& dir, client_mode mode, load_report* report = nullptr);

  ~stored_replica();
  stored_replica(const stored_replica&) = delete;
  stored_replica& operator=(const stored_replica&) = delete;

  local_replica& replica() noexcept;
  const local_replica& replica() const noexcept;

  // Decodes a snapshot container received from the server, makes it the
  // replica and stores it (then an empty log). Errors: decode_snapshot's,
  // load_snapshot's (bad_kind for the wrong kind), file errors (the replica
  // is installed in memory even if storing fails).
  std::expected<void, std::error_code> install_snapshot(std::span<const std::uint8_t> bytes);

  // Applies a batch (local_replica::apply) and adds it to the pending log.
  std::expected<void, std::error_code> apply(const delta_batch& batch);

  // Writes the log if anything changed since the last flush (in replica
  // mode possibly a compacted snapshot instead). Errors: file errors.
  std::expected<void, std::error_code> flush();

  // Changes recorded in the log since the stored snapshot.
  std::uint64_t logged_changes() const noexcept;
  bool dirty() const noexcept;
  const std::filesystem::path& directory() const noexcept;

 private:
  struct impl;
  explicit stored_replica(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace banlist::sdk
