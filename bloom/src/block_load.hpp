// Reads a whole 64-byte block into two 256-bit registers for the SIMD lookup
// kernels. Private to the library.
//
// Why inline assembly instead of _mm256_load_si256: inserts may set bits in
// the block concurrently (relaxed atomic OR, filter.hpp), and C++ has no
// atomic vector load, so a plain intrinsic load would be a data race the
// compiler is allowed to miscompile. The asm load is opaque to the compiler.
// On the hardware, each aligned 64-bit word is read in one piece; and even a
// torn read could only show a subset of a racing insert's bits, because
// inserts never clear a bit. That is the same "a racing insert may or may
// not be seen" the scalar kernels give. Bits of inserts that happened before
// the lookup are always seen (x86 loads are coherent).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace banlist::bloom::detail {

struct block_halves {
  __m256i low;   // words 0..3
  __m256i high;  // words 4..7
};

// Requires: block is 64-byte aligned.
[[gnu::target("avx"), gnu::always_inline]] inline block_halves load_block_halves(
    const std::uint64_t* block) noexcept {
  block_halves halves;
  // AT&T and Intel operand orders, whichever the compiler emits.
  asm("vmovdqa {%1, %0|%0, %1}" : "=x"(halves.low) : "m"(*reinterpret_cast<const __m256i*>(block)));
  asm("vmovdqa {%1, %0|%0, %1}"
      : "=x"(halves.high)
      : "m"(*reinterpret_cast<const __m256i*>(block + 4)));
  return halves;
}

}  // namespace banlist::bloom::detail
