// AVX2 lookup kernels: the k probes of one fingerprint are tested in 32-bit
// SIMD lanes, 8 per vector (two vectors for k > 8), instead of one by one.
//
// A probe needs only the top 9 bits of low * M^i mod 2^64. AVX2 has no 64-bit
// multiply, but the top 32 bits of that product follow from 32-bit pieces:
// with low = a1:a0 and M^i = b1:b0 (32-bit halves),
//   top32(low * M^i) = (top32(a0 * b0) + a0 * b1 + a1 * b0) mod 2^32.
// So one vector holds, per lane, the same 32 bits the scalar path shifts.
#include <immintrin.h>

#include <array>

#include "block_load.hpp"
#include "probe.hpp"

namespace banlist::bloom::detail {
namespace {

// The 32-bit halves of M^0 .. M^15, laid out for the kernel: vector v holds
// probes 8v .. 8v+7.
struct multiplier_halves {
  alignas(32) std::array<std::array<std::uint32_t, 8>, 2> low;
  alignas(32) std::array<std::array<std::uint32_t, 8>, 2> high;
  // vpmuludq multiplies only even lanes: odd_low[v][2q] = low[v][2q + 1].
  alignas(32) std::array<std::array<std::uint32_t, 8>, 2> odd_low;
};

constexpr multiplier_halves kHalves = [] {
  multiplier_halves h{};
  for (unsigned i = 0; i < kMaxProbes; ++i) {
    h.low[i / 8][i % 8] = static_cast<std::uint32_t>(kProbePowers[i]);
    h.high[i / 8][i % 8] = static_cast<std::uint32_t>(kProbePowers[i] >> 32);
  }
  for (unsigned v = 0; v < 2; ++v) {
    for (unsigned q = 0; q < 8; q += 2)
      h.odd_low[v][q] = h.low[v][q + 1];
  }
  return h;
}();

[[gnu::target("avx2"), gnu::always_inline]] inline __m256i load8(
    const std::array<std::uint32_t, 8>& lanes) noexcept {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes.data()));
}

// Returns a bit per lane, set if probe 8v + lane is set in the block (given as
// two 256-bit halves of 16 dwords). a0 and a1 hold low's halves in every lane.
[[gnu::target("avx2"), gnu::always_inline]] inline unsigned probe_lanes(__m256i half0,
                                                                        __m256i half1, __m256i a0,
                                                                        __m256i a1,
                                                                        unsigned v) noexcept {
  const __m256i b0 = load8(kHalves.low[v]);
  const __m256i even = _mm256_mul_epu32(a0, b0);                        // a0*b0, lanes 0,2,4,6
  const __m256i odd = _mm256_mul_epu32(a0, load8(kHalves.odd_low[v]));  // lanes 1,3,5,7
  // top32(a0*b0) of every lane: even lanes from `even` shifted down, odd
  // lanes are already in place in `odd`.
  const __m256i carry = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
  const __m256i cross =
      _mm256_add_epi32(_mm256_mullo_epi32(a0, load8(kHalves.high[v])), _mm256_mullo_epi32(a1, b0));
  const __m256i top = _mm256_add_epi32(carry, cross);
  // position = top >> 23. The block is 16 dwords; dword position >> 5 =
  // top >> 28: its low 3 bits pick within a half (vpermd ignores the rest),
  // its bit 3 (the sign bit of `top`) picks the half.
  const __m256i dword_index = _mm256_srli_epi32(top, 28);
  const __m256i from0 = _mm256_permutevar8x32_epi32(half0, dword_index);
  const __m256i from1 = _mm256_permutevar8x32_epi32(half1, dword_index);
  const __m256i word = _mm256_castps_si256(_mm256_blendv_ps(
      _mm256_castsi256_ps(from0), _mm256_castsi256_ps(from1), _mm256_castsi256_ps(top)));
  // Shift the probed bit (position & 31) up to the sign bit: by 31 - (position
  // & 31), which is ~position & 31. movemask then collects the sign bits.
  const __m256i to_sign = _mm256_andnot_si256(_mm256_srli_epi32(top, 23), _mm256_set1_epi32(31));
  return static_cast<unsigned>(
      _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_sllv_epi32(word, to_sign))));
}

template <unsigned K>
struct avx2 {
  [[gnu::target("avx2")]] static bool covers(const std::uint64_t* block,
                                             std::uint64_t low) noexcept {
    const block_halves halves = load_block_halves(block);
    const __m256i a0 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(low)));
    const __m256i a1 = _mm256_set1_epi32(static_cast<int>(low >> 32));
    unsigned set = probe_lanes(halves.low, halves.high, a0, a1, 0);
    if constexpr (K > 8)
      set |= probe_lanes(halves.low, halves.high, a0, a1, 1) << 8;
    return (set & lanes_needed(K)) == lanes_needed(K);
  }
  [[gnu::target("avx2"), gnu::flatten]] static bool single(lookup_table table,
                                                           const fingerprint& fp) noexcept {
    return covers(table.block_of(fp.high), fp.low);
  }
  [[gnu::target("avx2"), gnu::flatten]] static void batch(lookup_table table,
                                                          std::span<const fingerprint> fps,
                                                          std::span<bool> out) noexcept {
    run_batch<avx2>(table, fps, out);
  }
};

constexpr kernel_family kAvx2 = make_family<avx2>();

}  // namespace

const kernel_family& avx2_kernels() noexcept {
  return kAvx2;
}

}  // namespace banlist::bloom::detail
