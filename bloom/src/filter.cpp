#include "banlist/bloom/filter.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

#include "banlist/bloom/layout.hpp"
#include "sizing.hpp"

namespace banlist::bloom {
namespace {

// Filters this large get 2 MiB alignment and transparent huge pages: a lookup
// into a 20 MB filter otherwise misses the TLB on almost every access.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kHugePageThreshold = std::size_t{4} << 20;

// Lookups and inserts race by design; all word accesses go through atomic_ref.
// The filter owns the words mutably, so casting away const for a load is sound.
inline std::uint64_t load_word(const std::uint64_t& word) noexcept {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word))
      .load(std::memory_order_relaxed);
}

// Tests each probe bit directly: all probes hit the same cache line, so after
// the first load the rest come from L1, and no mask is built in memory. K is a
// template parameter so the probe loop unrolls and the multipliers become
// constants; the kernels are instantiated for every k in [1, 16].
template <unsigned K>
[[gnu::always_inline]] inline bool block_covers(const std::uint64_t* block,
                                                std::uint64_t low) noexcept {
  std::uint64_t all = 1;
  for (unsigned i = 0; i < K; ++i) {
    const std::uint64_t h = low * kProbePowers[i];
    // Top 3 bits pick the word, the next 6 the bit (position = h >> 55).
    all &= load_word(block[h >> 61]) >> ((h >> 55) & 63);
  }
  return (all & 1) != 0;
}

struct lookup_table {
  const std::uint64_t* words;
  std::uint64_t block_count;
  const std::uint64_t* block_of(std::uint64_t high) const noexcept {
    return words + block_index(high, block_count) * kWordsPerBlock;
  }
};

template <unsigned K>
[[gnu::always_inline]] inline void batch_body(lookup_table table, std::span<const fingerprint> fps,
                                              std::span<bool> out) noexcept {
  // Prefetch this far ahead: enough misses in flight to cover memory latency,
  // few enough to stay within the core's line-fill buffers.
  constexpr std::size_t kAhead = 16;
  const std::size_t count = fps.size();
  const std::size_t head = std::min(kAhead, count);
  for (std::size_t i = 0; i < head; ++i)
    __builtin_prefetch(table.block_of(fps[i].high));
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kAhead < count)
      __builtin_prefetch(table.block_of(fps[i + kAhead].high));
    out[i] = block_covers<K>(table.block_of(fps[i].high), fps[i].low);
  }
}

template <unsigned K>
bool single_portable(lookup_table table, const fingerprint& fp) noexcept {
  return block_covers<K>(table.block_of(fp.high), fp.low);
}

template <unsigned K>
void batch_portable(lookup_table table, std::span<const fingerprint> fps,
                    std::span<bool> out) noexcept {
  batch_body<K>(table, fps, out);
}

// The same kernels compiled for BMI2, whose shrx shifts by a register in one
// micro-op (a plain shr by %cl takes three on Intel). Chosen at run time, so
// the default build stays portable.
template <unsigned K>
[[gnu::target("bmi2")]] bool single_bmi2(lookup_table table, const fingerprint& fp) noexcept {
  return block_covers<K>(table.block_of(fp.high), fp.low);
}

template <unsigned K>
[[gnu::target("bmi2")]] void batch_bmi2(lookup_table table, std::span<const fingerprint> fps,
                                        std::span<bool> out) noexcept {
  batch_body<K>(table, fps, out);
}

using single_fn = bool (*)(lookup_table, const fingerprint&) noexcept;
using batch_fn = void (*)(lookup_table, std::span<const fingerprint>, std::span<bool>) noexcept;

struct kernels {
  single_fn single[kMaxProbes + 1];
  batch_fn batch[kMaxProbes + 1];
};

template <unsigned... K>
constexpr kernels make_portable(std::integer_sequence<unsigned, K...>) {
  return {{nullptr, &single_portable<K + 1>...}, {nullptr, &batch_portable<K + 1>...}};
}

template <unsigned... K>
constexpr kernels make_bmi2(std::integer_sequence<unsigned, K...>) {
  return {{nullptr, &single_bmi2<K + 1>...}, {nullptr, &batch_bmi2<K + 1>...}};
}

constexpr kernels kPortable = make_portable(std::make_integer_sequence<unsigned, kMaxProbes>{});
constexpr kernels kBmi2 = make_bmi2(std::make_integer_sequence<unsigned, kMaxProbes>{});

bool cpu_has_bmi2() noexcept {
  static const bool has = __builtin_cpu_supports("bmi2") != 0;
  return has;
}

const kernels& kernels_for(filter::lookup_path path) noexcept {
  return path == filter::lookup_path::bmi2 && cpu_has_bmi2() ? kBmi2 : kPortable;
}

}  // namespace

void filter::block_deleter::operator()(std::uint64_t* words) const noexcept {
  std::free(words);
}

filter::block_storage filter::allocate_blocks(std::uint64_t block_count) noexcept {
  if (block_count == 0 || block_count > detail::kMaxBlocks)
    return nullptr;
  std::size_t bytes = static_cast<std::size_t>(block_count) * kBlockBytes;
  std::size_t alignment = kBlockBytes;
  if (bytes >= kHugePageThreshold) {
    alignment = kHugePageBytes;
    bytes = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  }
  void* memory = std::aligned_alloc(alignment, bytes);
  if (memory == nullptr)
    return nullptr;
#ifdef MADV_HUGEPAGE
  // Advice only: without THP support the filter still works on small pages.
  if (alignment == kHugePageBytes)
    ::madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  std::memset(memory, 0, bytes);
  return block_storage(static_cast<std::uint64_t*>(memory));
}

filter::filter(block_storage words, std::uint64_t block_count, unsigned probes,
               std::uint64_t seed) noexcept
    : words_(std::move(words)), block_count_(block_count), probes_(probes), seed_(seed) {}

filter::filter(filter&& other) noexcept
    : words_(std::move(other.words_)),
      block_count_(std::exchange(other.block_count_, 0)),
      probes_(std::exchange(other.probes_, 0)),
      seed_(other.seed_),
      items_(other.items_.exchange(0, std::memory_order_relaxed)) {}

filter& filter::operator=(filter&& other) noexcept {
  if (this != &other) {
    words_ = std::move(other.words_);
    block_count_ = std::exchange(other.block_count_, 0);
    probes_ = std::exchange(other.probes_, 0);
    seed_ = other.seed_;
    items_.store(other.items_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

filter::~filter() = default;

std::expected<filter, std::error_code> filter::with_capacity(std::uint64_t expected_items,
                                                             double false_positive_rate,
                                                             std::uint64_t seed) {
  const auto geometry = detail::choose_geometry(expected_items, false_positive_rate);
  if (!geometry)
    return std::unexpected(make_error_code(geometry.error()));
  return with_geometry(geometry->block_count, geometry->probes, seed);
}

std::expected<filter, std::error_code> filter::with_geometry(std::uint64_t block_count,
                                                             unsigned probes, std::uint64_t seed) {
  if (block_count == 0 || block_count > detail::kMaxBlocks || probes < kMinProbes ||
      probes > kMaxProbes) {
    return std::unexpected(make_error_code(filter_errc::bad_geometry));
  }
  block_storage words = allocate_blocks(block_count);
  if (!words)
    return std::unexpected(make_error_code(filter_errc::out_of_memory));
  return filter(std::move(words), block_count, probes, seed);
}

std::expected<filter, std::error_code> filter::clone() const {
  auto copy = with_geometry(block_count_, probes_, seed_);
  if (!copy)
    return copy;
  const std::size_t words = static_cast<std::size_t>(block_count_) * kWordsPerBlock;
  for (std::size_t i = 0; i < words; ++i)
    copy->words_[i] = load_word(words_[i]);
  copy->items_.store(item_count(), std::memory_order_relaxed);
  return copy;
}

const std::uint64_t* filter::block_of(std::uint64_t high) const noexcept {
  return words_.get() + block_index(high, block_count_) * kWordsPerBlock;
}

void filter::insert(const fingerprint& fp) noexcept {
  std::uint64_t* block = const_cast<std::uint64_t*>(block_of(fp.high));
  const block_mask mask = make_block_mask(fp.low, probes_);
  for (std::size_t i = 0; i < kWordsPerBlock; ++i) {
    const std::uint64_t bits = mask.words[i];
    if (bits == 0)
      continue;
    std::atomic_ref<std::uint64_t> word(block[i]);
    // Skipping words that already hold the bits keeps hot blocks shared in
    // other cores' caches instead of bouncing them with locked writes.
    if ((word.load(std::memory_order_relaxed) & bits) != bits) {
      word.fetch_or(bits, std::memory_order_relaxed);
    }
  }
  items_.fetch_add(1, std::memory_order_relaxed);
}

filter::lookup_path filter::best_lookup_path() noexcept {
  return cpu_has_bmi2() ? lookup_path::bmi2 : lookup_path::portable;
}

bool filter::may_contain(const fingerprint& fp) const noexcept {
  static const kernels& best = kernels_for(best_lookup_path());
  return best.single[probes_](lookup_table{words_.get(), block_count_}, fp);
}

bool filter::may_contain(const fingerprint& fp, lookup_path path) const noexcept {
  return kernels_for(path).single[probes_](lookup_table{words_.get(), block_count_}, fp);
}

void filter::may_contain_batch(std::span<const fingerprint> fps,
                               std::span<bool> out) const noexcept {
  may_contain_batch(fps, out, best_lookup_path());
}

void filter::may_contain_batch(std::span<const fingerprint> fps, std::span<bool> out,
                               lookup_path path) const noexcept {
  const std::size_t count = std::min(fps.size(), out.size());
  kernels_for(path).batch[probes_](lookup_table{words_.get(), block_count_}, fps.first(count),
                                   out.first(count));
}

double filter::estimated_false_positive_rate() const noexcept {
  return detail::modeled_false_positive_rate(item_count(), block_count_, probes_);
}

}  // namespace banlist::bloom
