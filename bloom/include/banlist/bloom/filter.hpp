// banlist::bloom::filter: a cache-local ("blocked") Bloom filter over 128-bit
// fingerprints. Every lookup and insert touches exactly one 64-byte block, so
// a negative lookup on a filter far larger than the caches costs one memory
// access; batch lookups prefetch a group of blocks first to overlap those
// accesses. The layout is in layout.hpp, the wire format in format.hpp, and
// the sizing rule in docs/protocol.md (section 2).
//
// Thread-safety: insert() may run concurrently with lookups, serialize() and
// other inserts from any number of threads without a lock (relaxed atomic
// OR/loads on the 64-bit words). A lookup sees every insert that happens-before
// it; an insert racing with it may or may not be seen. Moving, assigning and
// destroying need exclusive access, as for any object.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "banlist/bloom/errors.hpp"
#include "banlist/bloom/fingerprint.hpp"

namespace banlist::bloom {

class filter {
 public:
  // Returns a filter sized so that, holding `expected_items` distinct
  // fingerprints, its false-positive rate is at most `false_positive_rate`
  // (see the sizing rule). Errors: invalid_argument for zero items or a rate
  // outside (0, 1); too_large above 16 GiB; out_of_memory.
  static std::expected<filter, std::error_code> with_capacity(std::uint64_t expected_items,
                                                              double false_positive_rate,
                                                              std::uint64_t seed);

  // Returns a filter holding `items`, sized as with_capacity for
  // max(expected_items, items.size()) items. The fastest way to build a
  // filter from a full list: no other thread can see the filter yet, so bits
  // are set with plain writes instead of locked ones. Errors: as with_capacity.
  static std::expected<filter, std::error_code> with_items(std::span<const fingerprint> items,
                                                           std::uint64_t expected_items,
                                                           double false_positive_rate,
                                                           std::uint64_t seed);

  // Returns an empty filter with an explicit geometry (for tests, tools and
  // readers of other encodings). Errors: bad_geometry unless block_count is in
  // [1, 2^28] and probes in [1, 16]; out_of_memory.
  static std::expected<filter, std::error_code> with_geometry(std::uint64_t block_count,
                                                              unsigned probes, std::uint64_t seed);

  // Reads the format-version-1 encoding. Validates size, magic, version,
  // geometry and checksum; never allocates more than bytes.size() justifies.
  static std::expected<filter, std::error_code> deserialize(std::span<const std::uint8_t> bytes);

  filter(filter&& other) noexcept;
  filter& operator=(filter&& other) noexcept;
  filter(const filter&) = delete;
  filter& operator=(const filter&) = delete;
  ~filter();

  // Returns an independent copy (same bits, count and seed). Error: out_of_memory.
  std::expected<filter, std::error_code> clone() const;

  // Adds a fingerprint. Re-inserting one that is already present still counts
  // one more in item_count() (the filter cannot tell duplicates apart).
  void insert(const fingerprint& fp) noexcept;

  // Returns false if fp was certainly never inserted, true if it probably was.
  bool may_contain(const fingerprint& fp) const noexcept;

  // out[i] = may_contain(fps[i]) for i < min(fps.size(), out.size()); callers
  // pass out.size() >= fps.size(). Faster than a loop of may_contain on large
  // filters: block addresses of a group are computed and prefetched first.
  void may_contain_batch(std::span<const fingerprint> fps, std::span<bool> out) const noexcept;

  // Adds every fingerprint of fps, with the same result and the same
  // thread-safety as calling insert() on each, but faster for bulk loads:
  // blocks are prefetched ahead so that their cache misses overlap.
  void insert_batch(std::span<const fingerprint> fps) noexcept;

  // Lookups run one of several instruction-set paths with identical answers,
  // chosen at run time from the CPU (the best supported one): portable
  // (any x86-64), BMI2 (one-micro-op variable shifts), AVX2 (8 probes per
  // vector) or AVX-512 (AVX-512F/DQ/VL on 256-bit vectors, native 64-bit
  // multiplies). The overloads taking a path exist so tests and benchmarks can
  // compare them; a path the CPU does not support runs the portable path.
  enum class lookup_path { portable, bmi2, avx2, avx512 };
  static lookup_path best_lookup_path() noexcept;
  static bool lookup_path_supported(lookup_path path) noexcept;
  bool may_contain(const fingerprint& fp, lookup_path path) const noexcept;
  void may_contain_batch(std::span<const fingerprint> fps, std::span<bool> out,
                         lookup_path path) const noexcept;

  std::uint64_t item_count() const noexcept { return items_.load(std::memory_order_relaxed); }
  std::uint64_t block_count() const noexcept { return block_count_; }
  unsigned probe_count() const noexcept { return probes_; }
  std::uint64_t bit_count() const noexcept { return block_count_ * 512; }
  std::uint64_t byte_size() const noexcept { return block_count_ * 64; }
  std::uint64_t seed() const noexcept { return seed_; }

  // Returns the modeled false-positive rate at the current item count,
  // computed from the geometry (assumes the items were distinct).
  double estimated_false_positive_rate() const noexcept;

  // Returns the format-version-1 encoding (format.hpp). Safe while other
  // threads insert; such inserts may or may not be included.
  std::vector<std::uint8_t> serialize() const;

 private:
  struct block_deleter {
    void operator()(std::uint64_t* words) const noexcept;
  };
  using block_storage = std::unique_ptr<std::uint64_t[], block_deleter>;

  filter(block_storage words, std::uint64_t block_count, unsigned probes,
         std::uint64_t seed) noexcept;

  static block_storage allocate_blocks(std::uint64_t block_count) noexcept;
  const std::uint64_t* block_of(std::uint64_t high) const noexcept;

  block_storage words_;  // block_count_ * 8 words, 64-byte aligned, zeroed at creation
  std::uint64_t block_count_ = 0;
  unsigned probes_ = 0;
  std::uint64_t seed_ = 0;
  std::atomic<std::uint64_t> items_{0};
};

}  // namespace banlist::bloom
