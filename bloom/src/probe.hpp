// Lookup kernels of the filter: "are all k probe bits of this fingerprint set
// in its block?", for one fingerprint and for a batch. Private to the library.
//
// There is one kernel family per instruction set (probe_scalar.cpp,
// probe_avx2.cpp, probe_avx512.cpp); filter.cpp picks one at run time from the
// CPU. Every family computes exactly the layout of layout.hpp, so all give
// identical answers (tests/bloom/filter_test.cpp compares them for every k).
// Each family is a table indexed by k, because k is a template parameter of
// the kernels: the probe loop unrolls and the multipliers become constants.
//
// Thread-safety: kernels only read the filter's words and may race with
// inserts, which only ever turn bits on (see filter.hpp). Pure otherwise.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/bloom/layout.hpp"

namespace banlist::bloom::detail {

// What a kernel needs of a filter: its words and its block count.
struct lookup_table {
  const std::uint64_t* words;  // block_count * 8 words, 64-byte aligned
  std::uint64_t block_count;

  const std::uint64_t* block_of(std::uint64_t high) const noexcept {
    return words + block_index(high, block_count) * kWordsPerBlock;
  }
};

using single_kernel = bool (*)(lookup_table, const fingerprint&) noexcept;
using batch_kernel = void (*)(lookup_table, std::span<const fingerprint>, std::span<bool>) noexcept;

// One family: entry k serves filters with k probes (entry 0 is unused).
struct kernel_family {
  single_kernel single[kMaxProbes + 1];
  batch_kernel batch[kMaxProbes + 1];
};

// Requires: the CPU supports the family's instruction set (callers check).
const kernel_family& portable_kernels() noexcept;
const kernel_family& bmi2_kernels() noexcept;
const kernel_family& avx2_kernels() noexcept;
const kernel_family& avx512_kernels() noexcept;

// Prefetch this many fingerprints ahead in a batch. A negative lookup costs
// about 5-10 ns of instructions, a block miss 80-150 ns on the machines we
// measured, so 32 misses in flight keep the core busy; more gains nothing
// (docs/benchmarks.md).
inline constexpr std::size_t kPrefetchAhead = 32;

// The batch loop shared by every family: out[i] = Covers::covers(block of
// fps[i], fps[i].low), with the block of fps[i + kPrefetchAhead] prefetched
// meanwhile. Requires: out.size() == fps.size(). SIMD families call it from a
// [[gnu::flatten]] function of their own instruction set, so that `covers`
// (which the compiler may not inline into this target-neutral template on its
// own) ends up inlined into the loop and compiled for that instruction set.
template <typename Covers>
[[gnu::always_inline]] inline void run_batch(lookup_table table, std::span<const fingerprint> fps,
                                             std::span<bool> out) noexcept {
  const std::size_t count = fps.size();
  const std::size_t head = std::min(kPrefetchAhead, count);
  for (std::size_t i = 0; i < head; ++i)
    __builtin_prefetch(table.block_of(fps[i].high));
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kPrefetchAhead < count)
      __builtin_prefetch(table.block_of(fps[i + kPrefetchAhead].high));
    out[i] = Covers::covers(table.block_of(fps[i].high), fps[i].low);
  }
}

// Builds a family from a class template whose Kernels<K> has static `single`
// and `batch` functions for k = K.
template <template <unsigned> class Kernels, unsigned... K>
constexpr kernel_family make_family(std::integer_sequence<unsigned, K...>) noexcept {
  return {{nullptr, &Kernels<K + 1>::single...}, {nullptr, &Kernels<K + 1>::batch...}};
}

template <template <unsigned> class Kernels>
constexpr kernel_family make_family() noexcept {
  return make_family<Kernels>(std::make_integer_sequence<unsigned, kMaxProbes>{});
}

// Bit mask of the first `probes` lanes: the lanes a k-probe lookup must find set.
constexpr unsigned lanes_needed(unsigned probes) noexcept {
  return probes >= 32 ? ~0u : (1u << probes) - 1;
}

}  // namespace banlist::bloom::detail
