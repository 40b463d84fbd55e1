// Snapshots: the whole list at one seq, served by GET /v1/snapshot as a
// versioned container (media type application/vnd.banlist.snapshot.v1)
// around one of two payloads: the Bloom filter's own v1 encoding
// (kind filter), or the exact sorted fingerprint list with each entry's
// type and reason (kind fps, `?format=fps`). docs/protocol.md (section 3) has the
// layout byte by byte; all integers are little-endian.
//
//   offset size  field
//        0    4  magic "BLSN"
//        4    1  format version (1)
//        5    1  kind: 1 = filter, 2 = fps
//        6    2  reserved, zero
//        8    8  XXH3-64 (seed 0) of bytes [0, 8) followed by bytes [16, end)
//       16    8  epoch
//       24    8  seq: the snapshot holds the list after change `seq`
//       32    8  count: fingerprints in the list (kind filter: the filter's item count)
//       40   16  digest: set digest at seq, high u64 then low u64
//       56    8  fingerprint seed
//       64    8  geometry: block count (kind filter), 0 (kind fps)
//       72    1  geometry: probes k (kind filter), 0 (kind fps)
//       73    7  reserved, zero
//       80    8  payload length in bytes
//       88       payload: kind filter: the filter's v1 bytes (docs/protocol.md (section 2));
//                kind fps: count entries of 18 bytes, ascending by fingerprint:
//                  +0 fp high u64, +8 fp low u64, +16 type u8, +17 ban reason u8
//
// Value types and pure functions: safe from any thread. A snapshot holding
// a filter is move-only, as the filter is.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/wire_errors.hpp"

namespace banlist::sdk {

inline constexpr std::string_view kSnapshotMediaType = "application/vnd.banlist.snapshot.v1";

namespace snapshot_format {
inline constexpr std::array<std::uint8_t, 4> kMagic = {'B', 'L', 'S', 'N'};
inline constexpr std::uint8_t kVersion = 1;

inline constexpr std::size_t kVersionOffset = 4;
inline constexpr std::size_t kKindOffset = 5;
inline constexpr std::size_t kReservedOffset = 6;  // 2 bytes
inline constexpr std::size_t kChecksumOffset = 8;
inline constexpr std::size_t kEpochOffset = 16;
inline constexpr std::size_t kSeqOffset = 24;
inline constexpr std::size_t kCountOffset = 32;
inline constexpr std::size_t kDigestOffset = 40;
inline constexpr std::size_t kSeedOffset = 56;
inline constexpr std::size_t kBlockCountOffset = 64;
inline constexpr std::size_t kProbesOffset = 72;
inline constexpr std::size_t kReserved2Offset = 73;  // 7 bytes
inline constexpr std::size_t kPayloadLengthOffset = 80;
inline constexpr std::size_t kHeaderBytes = 88;

inline constexpr std::size_t kEntryBytes = 18;
inline constexpr std::size_t kEntryFpHigh = 0;
inline constexpr std::size_t kEntryFpLow = 8;
inline constexpr std::size_t kEntryType = 16;
inline constexpr std::size_t kEntryReason = 17;
}  // namespace snapshot_format

enum class snapshot_kind : std::uint8_t {
  filter = 1,
  fps = 2,
};

// One banned account in an exact snapshot.
struct snapshot_entry {
  fingerprint fp;
  identifier_type type = identifier_type::phone;
  ban_reason reason = ban_reason::other;

  friend bool operator==(const snapshot_entry&, const snapshot_entry&) = default;
};

struct snapshot {
  snapshot_kind kind = snapshot_kind::fps;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint64_t count = 0;
  fingerprint digest;
  std::uint64_t seed = 0;
  std::optional<bloom::filter> filter;  // kind filter
  std::vector<snapshot_entry> entries;  // kind fps, ascending by fp
};

// Returns the container around filter.serialize(); count, seed and geometry
// come from the filter. `digest` is the set digest at `seq`.
std::vector<std::uint8_t> encode_snapshot_filter(std::uint64_t epoch, std::uint64_t seq,
                                                 const fingerprint& digest,
                                                 const bloom::filter& filter);

// Returns the container around the exact list. Requires: entries strictly
// ascending by fp, known type and reason codes, seq <= kMaxSeq, and
// digest == XOR of the fps (digest_of(entries)); decode_snapshot checks all of it.
std::vector<std::uint8_t> encode_snapshot_fps(std::uint64_t epoch, std::uint64_t seq,
                                              const fingerprint& digest, std::uint64_t seed,
                                              std::span<const snapshot_entry> entries);

// Returns the XOR of the entries' fingerprints (the set digest).
fingerprint digest_of(std::span<const snapshot_entry> entries) noexcept;

// Reads a container from untrusted bytes. Checks, in order: length >= header
// (truncated), magic (bad_magic), version (unsupported_version), kind
// (bad_kind), reserved bytes (bad_reserved), payload length against the byte
// count (truncated / bad_length), checksum (bad_checksum), seq <= kMaxSeq
// (bad_value); then for kind fps: zero geometry (bad_reserved), payload ==
// 18 * count (bad_length), each entry's codes (bad_value), strictly ascending
// fps (not_sorted / duplicate_entry), XOR == digest (digest_mismatch); for
// kind filter: the payload deserializes (bad_filter), its geometry equals the
// header's (bad_filter), its seed (seed_mismatch) and item count
// (count_mismatch) too. Allocates only what the input's length justifies.
std::expected<snapshot, std::error_code> decode_snapshot(std::span<const std::uint8_t> bytes);

}  // namespace banlist::sdk
