// table_layout_bench: would a bucketed cuckoo layout make the replica-mode
// lookup (sdk fingerprint_table) cheaper? A measurement program, not
// product code. It builds three exact tables over the same n random
// fingerprints (half of the probes members, half strangers) and times
// single lookups in a loop, interleaved, in CPU ns per lookup:
//   linear  the SDK's fingerprint_table (ordered linear probing, 18-byte
//           slots, a branchy scan of ~3.8 slots from the home slot);
//   cuckoo3 two-choice cuckoo hashing, 64-byte buckets of three 16-byte keys
//           and their 2-byte values, both buckets compared whole with SSE
//           and no data-dependent branch (so consecutive lookups may
//           overlap their misses);
//   cuckoo4 the same with four keys per bucket and the values in a side
//           array, read after the match.
// Also the floor: a lookup that reads one line (the first bucket only:
// wrong answers, right memory traffic).
//
//   table_layout_bench [n=10000000] [rounds=5]
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "fingerprint_table.hpp"  // sdk/src/client

namespace {

using banlist::fingerprint;
using banlist::sdk::detail::fingerprint_table;
__extension__ using u128 = unsigned __int128;

std::uint8_t* zeroed_huge(std::size_t bytes) {
  constexpr std::size_t kHuge = 2 << 20;
  const std::size_t size = (bytes + kHuge - 1) / kHuge * kHuge;
  auto* p = static_cast<std::uint8_t*>(std::aligned_alloc(kHuge, size));
  if (p == nullptr)
    std::abort();
  ::madvise(p, size, MADV_HUGEPAGE);  // as the SDK table gets
  std::memset(p, 0, size);
  return p;
}

// Slots per 64-byte bucket; values inline (after the keys) or in a side array.
template <int kSlots, bool kSideValues>
class cuckoo_table {
 public:
  explicit cuckoo_table(std::size_t buckets)
      : buckets_(buckets),
        keys_(zeroed_huge(buckets * 64)),
        side_(reinterpret_cast<std::uint16_t*>(zeroed_huge(buckets * kSlots * 2))) {}
  cuckoo_table(const cuckoo_table&) = delete;
  cuckoo_table& operator=(const cuckoo_table&) = delete;
  ~cuckoo_table() {
    std::free(keys_);
    std::free(side_);
  }

  std::size_t bytes() const { return buckets_ * (64 + (kSideValues ? kSlots * 2 : 0)); }

  // Random-walk insertion; false when it gives up (the table is too full).
  bool insert(fingerprint fp, std::uint16_t value) {
    if (put(first(fp), fp, value) || put(second(fp), fp, value))
      return true;
    std::size_t b = rng_() & 1 ? first(fp) : second(fp);
    for (int kick = 0; kick < 5000; ++kick) {
      const int j = static_cast<int>(rng_() % kSlots);
      fingerprint evicted;
      std::memcpy(&evicted, key(b, j), 16);
      const std::uint16_t evicted_value = *value_at(b, j);
      std::memcpy(key(b, j), &fp, 16);
      *value_at(b, j) = value;
      fp = evicted;
      value = evicted_value;
      b = first(fp) == b ? second(fp) : first(fp);
      if (put(b, fp, value))
        return true;
    }
    return false;
  }

  bool find(const fingerprint& fp, std::uint16_t* out) const {
    const std::size_t b1 = first(fp);
    const std::size_t b2 = second(fp);
    const __m128i wanted = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&fp));
    unsigned hits = 0;
    for (int j = 0; j < kSlots; ++j)
      hits |= unsigned{matches(key(b1, j), wanted)} << j;
    for (int j = 0; j < kSlots; ++j)
      hits |= unsigned{matches(key(b2, j), wanted)} << (j + kSlots);
    // Branch-free: slot index of the hit (or slot 0 of b2 on a miss).
    const unsigned t = static_cast<unsigned>(__builtin_ctz(hits | (1u << (2 * kSlots))));
    const std::size_t in_second = t >= kSlots;
    const std::size_t bucket = b1 + (b2 - b1) * in_second;
    const unsigned slot = t - kSlots * static_cast<unsigned>(in_second);
    *out = *value_at(bucket, static_cast<int>(slot < kSlots ? slot : 0));
    return hits != 0;
  }

  // The floor: one line, one compare.
  bool find_first_line_only(const fingerprint& fp) const {
    const __m128i wanted = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&fp));
    return matches(key(first(fp), 0), wanted);
  }

 private:
  static bool matches(const std::uint8_t* slot, __m128i wanted) {
    const __m128i have = _mm_load_si128(reinterpret_cast<const __m128i*>(slot));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(have, wanted)) == 0xFFFF;
  }
  std::size_t first(const fingerprint& fp) const {
    return static_cast<std::size_t>((static_cast<u128>(fp.high) * buckets_) >> 64);
  }
  std::size_t second(const fingerprint& fp) const {
    return static_cast<std::size_t>((static_cast<u128>(fp.low) * buckets_) >> 64);
  }
  std::uint8_t* key(std::size_t b, int j) const { return keys_ + b * 64 + 16 * j; }
  std::uint16_t* value_at(std::size_t b, int j) const {
    if constexpr (kSideValues)
      return side_ + b * kSlots + j;
    else
      return reinterpret_cast<std::uint16_t*>(keys_ + b * 64 + 16 * kSlots + 2 * j);
  }
  bool put(std::size_t b, const fingerprint& fp, std::uint16_t value) {
    for (int j = 0; j < kSlots; ++j) {
      if (*value_at(b, j) == 0) {  // values are never 0: 0 marks a free slot
        std::memcpy(key(b, j), &fp, 16);
        *value_at(b, j) = value;
        return true;
      }
    }
    return false;
  }

  std::size_t buckets_;
  std::uint8_t* keys_;
  std::uint16_t* side_;
  std::mt19937_64 rng_{7};
};

double cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  constexpr double kLoad = 0.9;
  constexpr std::uint16_t kValue = 0x0201;
  std::mt19937_64 rng(n);
  std::vector<fingerprint> fps(n);
  for (auto& fp : fps)
    fp = {rng(), rng()};
  std::sort(fps.begin(), fps.end());
  fps.erase(std::unique(fps.begin(), fps.end()), fps.end());
  const auto linear = fingerprint_table::from_sorted(fps.size(), 0, [&fps](std::size_t i) {
    return std::pair{fps[i], fingerprint_table::value{1, 2}};
  });
  cuckoo_table<3, false> cuckoo3(static_cast<std::size_t>(static_cast<double>(n) / 3 / kLoad) + 1);
  cuckoo_table<4, true> cuckoo4(static_cast<std::size_t>(static_cast<double>(n) / 4 / kLoad) + 1);
  for (const auto& fp : fps) {
    if (!cuckoo3.insert(fp, kValue) || !cuckoo4.insert(fp, kValue)) {
      std::fprintf(stderr, "cuckoo insertion gave up at load %.2f\n", kLoad);
      return 1;
    }
  }
  std::printf("%zu entries; bytes per entry: linear %.2f, cuckoo3 %.2f, cuckoo4 %.2f\n", fps.size(),
              static_cast<double>(linear.memory_bytes()) / static_cast<double>(n),
              static_cast<double>(cuckoo3.bytes()) / static_cast<double>(n),
              static_cast<double>(cuckoo4.bytes()) / static_cast<double>(n));

  std::vector<fingerprint> probes(1 << 16);
  for (std::size_t i = 0; i < probes.size(); ++i)
    probes[i] = i % 2 ? fps[rng() % fps.size()] : fingerprint{rng(), rng()};
  std::size_t disagree = 0;
  for (const auto& p : probes) {
    fingerprint_table::value v{};
    std::uint16_t a = 0;
    std::uint16_t b = 0;
    const bool in_linear = linear.find(p, &v);
    const bool in3 = cuckoo3.find(p, &a);
    const bool in4 = cuckoo4.find(p, &b);
    disagree += in_linear != in3 || in_linear != in4 || (in_linear && (a != kValue || b != kValue));
  }
  if (disagree != 0) {
    std::fprintf(stderr, "%zu probes answered differently\n", disagree);
    return 1;
  }

  constexpr std::size_t kLookups = 10'000'000;
  const std::size_t mask = probes.size() - 1;
  std::uint64_t sink = 0;  // keeps every answer and value live
  std::printf("CPU ns per lookup: linear cuckoo3 cuckoo4 one-line-floor\n");
  for (int round = 0; round < rounds; ++round) {
    const double t0 = cpu_ns();
    for (std::size_t i = 0; i < kLookups; ++i) {
      fingerprint_table::value v{};
      sink += linear.find(probes[i & mask], &v) + v.reason;
    }
    const double t1 = cpu_ns();
    for (std::size_t i = 0; i < kLookups; ++i) {
      std::uint16_t v;
      sink += cuckoo3.find(probes[i & mask], &v) + v;
    }
    const double t2 = cpu_ns();
    for (std::size_t i = 0; i < kLookups; ++i) {
      std::uint16_t v;
      sink += cuckoo4.find(probes[i & mask], &v) + v;
    }
    const double t3 = cpu_ns();
    for (std::size_t i = 0; i < kLookups; ++i)
      sink += cuckoo3.find_first_line_only(probes[i & mask]);
    const double t4 = cpu_ns();
    const auto per = [](double a, double b) { return (b - a) / static_cast<double>(kLookups); };
    std::printf("%.1f %.1f %.1f %.1f\n", per(t0, t1), per(t1, t2), per(t2, t3), per(t3, t4));
  }
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
}
