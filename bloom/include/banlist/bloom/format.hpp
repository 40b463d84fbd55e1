// The binary form of a filter, format version 1 (docs/protocol.md (section 2) has
// the byte-by-byte description and a worked example). All integers are
// little-endian on the wire, whatever the host.
//
//   offset size  field
//        0    4  magic "BLBF"
//        4    2  format version (1)
//        6    1  log2 of the block size in bits (9: 512-bit blocks)
//        7    1  probes per fingerprint, k (1..16)
//        8    8  block count (1 .. 2^28)
//       16    8  item count (inserts so far)
//       24    8  fingerprint seed the items were hashed with
//       32    8  XXH3-64 (seed 0) of bytes [0, 32) followed by the payload
//       40  64n  payload: block i at 40 + 64 i, eight little-endian 64-bit words
//
// Constants only: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace banlist::bloom::format {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'B', 'L', 'B', 'F'};
inline constexpr std::uint16_t kVersion = 1;

inline constexpr std::size_t kMagicOffset = 0;
inline constexpr std::size_t kVersionOffset = 4;
inline constexpr std::size_t kLog2BlockBitsOffset = 6;
inline constexpr std::size_t kProbesOffset = 7;
inline constexpr std::size_t kBlockCountOffset = 8;
inline constexpr std::size_t kItemCountOffset = 16;
inline constexpr std::size_t kSeedOffset = 24;
inline constexpr std::size_t kChecksumOffset = 32;
inline constexpr std::size_t kHeaderBytes = 40;

// The checksum covers the header up to the checksum field, then the payload.
inline constexpr std::size_t kChecksummedHeaderBytes = kChecksumOffset;

}  // namespace banlist::bloom::format
