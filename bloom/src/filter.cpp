#include "banlist/bloom/filter.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

#include "banlist/bloom/layout.hpp"
#include "probe.hpp"
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

// ORs the mask into the block: one locked fetch_or per word that needs bits,
// so inserts need no lock against each other or against lookups.
inline void set_bits(std::uint64_t* block, const block_mask& mask) noexcept {
  for (std::size_t i = 0; i < kWordsPerBlock; ++i) {
    const std::uint64_t bits = mask.words[i];
    if (bits == 0)
      continue;
    std::atomic_ref<std::uint64_t> word(block[i]);
    // Skipping words that already hold the bits saves the locked write (about
    // 20 cycles, and it stops the next insert's miss from overlapping) and
    // keeps hot blocks shared in other cores' caches.
    if ((word.load(std::memory_order_relaxed) & bits) != bits)
      word.fetch_or(bits, std::memory_order_relaxed);
  }
}

bool cpu_supports(filter::lookup_path path) noexcept {
  // __builtin_cpu_supports also checks that the OS saves the vector registers.
  static const bool bmi2 = __builtin_cpu_supports("bmi2") != 0;
  static const bool avx2 = __builtin_cpu_supports("avx2") != 0;
  static const bool avx512 = __builtin_cpu_supports("avx512f") != 0 &&
                             __builtin_cpu_supports("avx512dq") != 0 &&
                             __builtin_cpu_supports("avx512vl") != 0;
  switch (path) {
    case filter::lookup_path::portable:
      return true;
    case filter::lookup_path::bmi2:
      return bmi2;
    case filter::lookup_path::avx2:
      return avx2;
    case filter::lookup_path::avx512:
      return avx512;
  }
  return false;
}

const detail::kernel_family& kernels_for(filter::lookup_path path) noexcept {
  if (!cpu_supports(path))
    return detail::portable_kernels();
  switch (path) {
    case filter::lookup_path::portable:
      break;
    case filter::lookup_path::bmi2:
      return detail::bmi2_kernels();
    case filter::lookup_path::avx2:
      return detail::avx2_kernels();
    case filter::lookup_path::avx512:
      return detail::avx512_kernels();
  }
  return detail::portable_kernels();
}

const detail::kernel_family& best_kernels() noexcept {
  static const detail::kernel_family& best = kernels_for(filter::best_lookup_path());
  return best;
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

std::expected<filter, std::error_code> filter::with_items(std::span<const fingerprint> items,
                                                          std::uint64_t expected_items,
                                                          double false_positive_rate,
                                                          std::uint64_t seed) {
  auto made = with_capacity(std::max<std::uint64_t>(expected_items, items.size()),
                            false_positive_rate, seed);
  if (!made)
    return made;
  // `made` is ours alone until returned: plain read-modify-writes are safe
  // here and let the CPU overlap consecutive inserts' misses, which locked
  // instructions would serialise.
  constexpr std::size_t kAhead = detail::kPrefetchAhead;
  const std::size_t count = items.size();
  for (std::size_t i = 0; i < std::min(kAhead, count); ++i)
    __builtin_prefetch(made->block_of(items[i].high), 1);
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kAhead < count)
      __builtin_prefetch(made->block_of(items[i + kAhead].high), 1);
    std::uint64_t* block = const_cast<std::uint64_t*>(made->block_of(items[i].high));
    const block_mask mask = make_block_mask(items[i].low, made->probes_);
    for (std::size_t w = 0; w < kWordsPerBlock; ++w)
      block[w] |= mask.words[w];
  }
  made->items_.store(count, std::memory_order_relaxed);
  return made;
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
  set_bits(const_cast<std::uint64_t*>(block_of(fp.high)), make_block_mask(fp.low, probes_));
  items_.fetch_add(1, std::memory_order_relaxed);
}

void filter::insert_batch(std::span<const fingerprint> fps) noexcept {
  // Same pipeline as the lookup batch (probe.hpp), prefetching for writing.
  constexpr std::size_t kAhead = detail::kPrefetchAhead;
  const std::size_t count = fps.size();
  for (std::size_t i = 0; i < std::min(kAhead, count); ++i)
    __builtin_prefetch(block_of(fps[i].high), 1);
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kAhead < count)
      __builtin_prefetch(block_of(fps[i + kAhead].high), 1);
    set_bits(const_cast<std::uint64_t*>(block_of(fps[i].high)),
             make_block_mask(fps[i].low, probes_));
  }
  items_.fetch_add(count, std::memory_order_relaxed);
}

filter::lookup_path filter::best_lookup_path() noexcept {
  for (const lookup_path path : {lookup_path::avx512, lookup_path::avx2, lookup_path::bmi2}) {
    if (cpu_supports(path))
      return path;
  }
  return lookup_path::portable;
}

bool filter::lookup_path_supported(lookup_path path) noexcept {
  return cpu_supports(path);
}

bool filter::may_contain(const fingerprint& fp) const noexcept {
  return best_kernels().single[probes_](detail::lookup_table{words_.get(), block_count_}, fp);
}

bool filter::may_contain(const fingerprint& fp, lookup_path path) const noexcept {
  return kernels_for(path).single[probes_](detail::lookup_table{words_.get(), block_count_}, fp);
}

void filter::may_contain_batch(std::span<const fingerprint> fps,
                               std::span<bool> out) const noexcept {
  const std::size_t count = std::min(fps.size(), out.size());
  best_kernels().batch[probes_](detail::lookup_table{words_.get(), block_count_}, fps.first(count),
                                out.first(count));
}

void filter::may_contain_batch(std::span<const fingerprint> fps, std::span<bool> out,
                               lookup_path path) const noexcept {
  const std::size_t count = std::min(fps.size(), out.size());
  kernels_for(path).batch[probes_](detail::lookup_table{words_.get(), block_count_},
                                   fps.first(count), out.first(count));
}

double filter::estimated_false_positive_rate() const noexcept {
  return detail::modeled_false_positive_rate(item_count(), block_count_, probes_);
}

}  // namespace banlist::bloom
