// Scalar lookup kernels: the portable one (any x86-64) and the same code
// compiled for BMI2. Both test each probe bit directly in its word: all probes
// hit the same cache line, so after the first load the rest come from L1.
#include <atomic>

#include "probe.hpp"

namespace banlist::bloom::detail {
namespace {

// Lookups race with inserts by design, so words are read through atomic_ref.
// The filter owns its words mutably; casting away const for a load is sound.
inline std::uint64_t load_word(const std::uint64_t& word) noexcept {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word))
      .load(std::memory_order_relaxed);
}

template <unsigned K>
struct portable {
  [[gnu::always_inline]] static bool covers(const std::uint64_t* block,
                                            std::uint64_t low) noexcept {
    std::uint64_t all = 1;
    // Without the pragma g++ keeps a loop that reloads each multiplier from
    // memory; unrolled, the multipliers become constants in the code.
#pragma GCC unroll 16
    for (unsigned i = 0; i < K; ++i) {
      const std::uint64_t h = low * kProbePowers[i];
      // Top 3 bits pick the word, the next 6 the bit (position = h >> 55).
      all &= load_word(block[h >> 61]) >> ((h >> 55) & 63);
    }
    return (all & 1) != 0;
  }
  static bool single(lookup_table table, const fingerprint& fp) noexcept {
    return covers(table.block_of(fp.high), fp.low);
  }
  static void batch(lookup_table table, std::span<const fingerprint> fps,
                    std::span<bool> out) noexcept {
    run_batch<portable>(table, fps, out);
  }
};

// The same code compiled for BMI2, whose shrx shifts by a register in one
// micro-op (a plain shr by %cl takes three on Intel).
template <unsigned K>
struct bmi2 {
  [[gnu::target("bmi2")]] static bool single(lookup_table table, const fingerprint& fp) noexcept {
    return portable<K>::covers(table.block_of(fp.high), fp.low);
  }
  [[gnu::target("bmi2")]] static void batch(lookup_table table, std::span<const fingerprint> fps,
                                            std::span<bool> out) noexcept {
    run_batch<portable<K>>(table, fps, out);
  }
};

constexpr kernel_family kPortable = make_family<portable>();
constexpr kernel_family kBmi2 = make_family<bmi2>();

}  // namespace

const kernel_family& portable_kernels() noexcept {
  return kPortable;
}

const kernel_family& bmi2_kernels() noexcept {
  return kBmi2;
}

}  // namespace banlist::bloom::detail
