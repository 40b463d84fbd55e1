// The block layout of banlist's Bloom filter: how a fingerprint picks its block
// and the bits inside it. This is part of the wire contract (docs/protocol.md (section 2));
// a filter built by one implementation is read by another, so these functions
// must never change for format version 1.
//
// A filter is an array of 512-bit blocks, one 64-byte cache line each, every
// block eight 64-bit words. A fingerprint touches exactly one block:
//   block  = upper 64 bits of (fp.high * block_count)        ("fastrange")
//   probes = k positions in [0, 512): h = fp.low; repeat k times
//              { position = h >> 55; h = h * kProbeMultiplier (mod 2^64) }
//   bit    = word (position >> 6), bit (position & 63) of that block.
// The fingerprint is already a uniform hash, so nothing is hashed again; the
// multiply only spreads `low` over more than 64 bits' worth of probes.
//
// Pure functions on values: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace banlist::bloom {

// GCC and Clang both provide a 128-bit integer; __extension__ keeps -Wpedantic quiet.
__extension__ using uint128 = unsigned __int128;

inline constexpr std::size_t kBlockBytes = 64;
inline constexpr std::size_t kBlockBits = 512;
inline constexpr std::size_t kWordsPerBlock = 8;
inline constexpr unsigned kLog2BlockBits = 9;
inline constexpr unsigned kMinProbes = 1;
inline constexpr unsigned kMaxProbes = 16;
inline constexpr std::uint64_t kProbeMultiplier = 0x9e3779b97f4a7c15ULL;

// Returns the block index in [0, block_count) for a fingerprint's high half.
// Requires: block_count > 0.
constexpr std::uint64_t block_index(std::uint64_t high, std::uint64_t block_count) noexcept {
  return static_cast<std::uint64_t>((static_cast<uint128>(high) * block_count) >> 64);
}

// kProbeMultiplier^i mod 2^64 for i in [0, 16): probe i is
// (low * kProbePowers[i]) >> 55, the same value the repeated multiply gives,
// but each probe computed independently so they run in parallel.
inline constexpr auto kProbePowers = [] {
  std::array<std::uint64_t, kMaxProbes> powers{};
  std::uint64_t p = 1;
  for (auto& power : powers) {
    power = p;
    p *= kProbeMultiplier;
  }
  return powers;
}();

// Returns probe i's bit position in [0, 512). Requires: i < kMaxProbes.
constexpr unsigned probe_position(std::uint64_t low, unsigned i) noexcept {
  return static_cast<unsigned>((low * kProbePowers[i]) >> (64 - kLog2BlockBits));
}

// Writes the k bit positions (each in [0, 512)) that a fingerprint's low half
// selects inside its block. Requires: k <= 16, positions.size() >= k.
constexpr void probe_positions(std::uint64_t low, unsigned k,
                               std::span<std::uint16_t> positions) noexcept {
  for (unsigned i = 0; i < k; ++i)
    positions[i] = static_cast<std::uint16_t>(probe_position(low, i));
}

// The block's eight words with exactly the probe bits set (used by inserts,
// which OR whole words).
struct block_mask {
  std::uint64_t words[kWordsPerBlock] = {};
};

constexpr block_mask make_block_mask(std::uint64_t low, unsigned k) noexcept {
  block_mask mask;
  for (unsigned i = 0; i < k; ++i) {
    const unsigned position = probe_position(low, i);
    mask.words[position >> 6] |= std::uint64_t{1} << (position & 63);
  }
  return mask;
}

}  // namespace banlist::bloom
