// Sizing of the one-cache-line filter: the false-positive model of a blocked
// Bloom filter and the rule that picks block count and probe count from
// (expected items, target rate). Private to the library. Pure functions.
//
// Why a model instead of the textbook formula: with one 512-bit block per
// lookup, blocks receive a Poisson-distributed number of items, and the fuller
// blocks dominate the error; the textbook m = -n ln p / (ln 2)^2 undershoots by
// roughly 1-2 bits per item at 0.1%. The model sums over the block load and
// also counts a fingerprint's own colliding probes; tests and the benchmark
// check the measured rate against it.
#pragma once

#include <cstdint>
#include <expected>

#include "banlist/bloom/errors.hpp"

namespace banlist::bloom::detail {

inline constexpr std::uint64_t kMaxFilterBytes = std::uint64_t{1} << 34;  // 16 GiB
inline constexpr std::uint64_t kMaxBlocks = kMaxFilterBytes / 64;

struct geometry {
  std::uint64_t block_count = 0;
  unsigned probes = 0;
};

// Returns the modeled false-positive rate of a filter with this geometry
// holding `items` distinct fingerprints. Requires: block_count > 0, probes in [1, 16].
double modeled_false_positive_rate(std::uint64_t items, std::uint64_t block_count,
                                   unsigned probes) noexcept;

// Returns the smallest geometry whose modeled rate at `items` is at most
// `rate` times a small safety margin, with the probe count that minimises the
// rate for that size; errors for zero items, a rate outside (0, 1) or a
// geometry above kMaxFilterBytes.
std::expected<geometry, filter_errc> choose_geometry(std::uint64_t items, double rate) noexcept;

}  // namespace banlist::bloom::detail
