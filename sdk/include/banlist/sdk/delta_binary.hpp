// The binary encoding of a delta batch, format version 1, media type
// application/vnd.banlist.delta.v1 (docs/protocol.md (section 3) has it byte by byte).
// Fixed-size little-endian records, so encoding is a flat loop; an XXH3-64
// checksum covers every byte but itself.
//
//   offset size  field
//        0    4  magic "BLDL"
//        4    1  format version (1)
//        5    1  flags: bit 0 = more; other bits zero
//        6    2  reserved, zero
//        8    8  XXH3-64 (seed 0) of bytes [0, 8) followed by bytes [16, end)
//       16    8  epoch
//       24    8  from
//       32    8  to
//       40    8  head
//       48   16  digest: high u64, then low u64
//       64    4  min_wait_s (u32)
//       68    4  change count n (u32)
//       72  40n  changes, change i at 72 + 40 i:
//                  +0 seq u64, +8 fp high u64, +16 fp low u64, +24 at_ms i64,
//                  +32 op u8, +33 type u8, +34 reason u8, +35..+39 reserved zero
//
// Pure functions: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "banlist/sdk/delta.hpp"

namespace banlist::sdk {

inline constexpr std::string_view kDeltaBinaryMediaType = "application/vnd.banlist.delta.v1";

namespace delta_format {
inline constexpr std::array<std::uint8_t, 4> kMagic = {'B', 'L', 'D', 'L'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kFlagMore = 0x01;

inline constexpr std::size_t kVersionOffset = 4;
inline constexpr std::size_t kFlagsOffset = 5;
inline constexpr std::size_t kReservedOffset = 6;
inline constexpr std::size_t kChecksumOffset = 8;
inline constexpr std::size_t kEpochOffset = 16;
inline constexpr std::size_t kFromOffset = 24;
inline constexpr std::size_t kToOffset = 32;
inline constexpr std::size_t kHeadOffset = 40;
inline constexpr std::size_t kDigestOffset = 48;
inline constexpr std::size_t kMinWaitOffset = 64;
inline constexpr std::size_t kCountOffset = 68;
inline constexpr std::size_t kHeaderBytes = 72;

inline constexpr std::size_t kRecordBytes = 40;
inline constexpr std::size_t kRecordSeq = 0;
inline constexpr std::size_t kRecordFpHigh = 8;
inline constexpr std::size_t kRecordFpLow = 16;
inline constexpr std::size_t kRecordAt = 24;
inline constexpr std::size_t kRecordOp = 32;
inline constexpr std::size_t kRecordType = 33;
inline constexpr std::size_t kRecordReason = 34;
inline constexpr std::size_t kRecordReserved = 35;  // 5 bytes
}  // namespace delta_format

// Returns the encoding of `batch`. Requires: validate(batch) succeeds.
std::vector<std::uint8_t> encode_delta_binary(const delta_batch& batch);

// Replaces `out`'s contents with the encoding of `batch` (reuses its capacity).
// Requires: validate(batch) succeeds.
void encode_delta_binary(const delta_batch& batch, std::vector<std::uint8_t>& out);

// Reads an encoding from untrusted bytes. Checks, in order: length >= header
// (truncated), magic (bad_magic), version (unsupported_version), flags and
// reserved bytes (bad_reserved), count <= kMaxBatchChanges (too_large),
// length == 72 + 40 n (truncated / bad_length), checksum (bad_checksum), then
// every record and the batch rules of validate(delta_batch). Allocates only
// after the length is proven to match the count.
std::expected<delta_batch, std::error_code> decode_delta_binary(
    std::span<const std::uint8_t> bytes);

}  // namespace banlist::sdk
