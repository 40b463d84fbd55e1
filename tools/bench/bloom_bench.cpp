// bloom_bench: banlist's cache-local Bloom filter against two baselines, side
// by side in one run, at 1M and 10M items and design rates 1% and 0.1%
// (lookups also at 10K and 100M items, 0.1%):
//   ours      banlist::bloom::filter (one 64-byte block per lookup)
//   textbook  BASELINE defined below: a classic k-hash Bloom filter over one
//             flat bit array, k probes anywhere in it (double hashing)
//   uset      std::unordered_set<fingerprint> (exact, the "just use a set" option)
// Every structure is built once per size (cached fixtures), never per
// iteration, except in the *_insert benchmarks that measure building.
//
// Counters: ns_per_op (per lookup or insert), bits_per_item, fp_pct (false
// positives measured over 4M never-inserted fingerprints). docs/benchmarks.md
// records a run and the command.
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include "banlist/bloom/filter.hpp"

namespace {

using banlist::fingerprint;
using banlist::bloom::filter;

constexpr std::size_t kQueryCount = std::size_t{1} << 20;  // lookups cycle over these
constexpr std::size_t kFalsePositiveProbes = 4'000'000;
constexpr std::size_t kChunk = 1024;  // lookups per benchmark iteration

class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  fingerprint next_fingerprint() {
    const std::uint64_t high = next();
    return {high, next()};
  }

 private:
  std::uint64_t state_;
};

// ---------------------------------------------------------------------------
// BASELINE: textbook Bloom filter, written here only for comparison.
// m = ceil(-n ln p / (ln 2)^2) bits, k = round(m / n * ln 2) probes, probe i at
// fastrange(high + i * low, m) (Kirsch-Mitzenmacher double hashing from the two
// fingerprint halves). Probes land anywhere in the array, so a lookup touches
// up to k cache lines (it stops at the first clear bit). It gets the same 2 MiB
// aligned, MADV_HUGEPAGE memory as ours, so the comparison isolates the layout.
class textbook_bloom {
 public:
  textbook_bloom(std::uint64_t items, double rate) {
    const double ln2 = std::log(2.0);
    bits_ = static_cast<std::uint64_t>(
        std::ceil(-static_cast<double>(items) * std::log(rate) / (ln2 * ln2)));
    probes_ = std::max<unsigned>(
        1, static_cast<unsigned>(std::lround(static_cast<double>(bits_) / items * ln2)));
    const std::size_t huge = std::size_t{2} << 20;
    bytes_ = ((bits_ + 63) / 64 * 8 + huge - 1) / huge * huge;
    words_ = static_cast<std::uint64_t*>(std::aligned_alloc(huge, bytes_));
    if (words_ == nullptr)
      std::abort();
    ::madvise(words_, bytes_, MADV_HUGEPAGE);
    std::memset(words_, 0, bytes_);
  }
  ~textbook_bloom() { std::free(words_); }
  textbook_bloom(const textbook_bloom&) = delete;
  textbook_bloom& operator=(const textbook_bloom&) = delete;

  void insert(const fingerprint& fp) noexcept {
    std::uint64_t h = fp.high;
    for (unsigned i = 0; i < probes_; ++i, h += fp.low) {
      const std::uint64_t bit = position(h);
      words_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    }
  }
  bool may_contain(const fingerprint& fp) const noexcept {
    std::uint64_t h = fp.high;
    for (unsigned i = 0; i < probes_; ++i, h += fp.low) {
      const std::uint64_t bit = position(h);
      if ((words_[bit >> 6] & (std::uint64_t{1} << (bit & 63))) == 0)
        return false;
    }
    return true;
  }
  std::uint64_t bit_count() const noexcept { return bits_; }

 private:
  std::uint64_t position(std::uint64_t h) const noexcept {
    __extension__ using uint128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<uint128>(h) * bits_) >> 64);
  }

  std::uint64_t bits_ = 0;
  unsigned probes_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t* words_ = nullptr;
};
// ---------------------------------------------------------------------------

// Item i of the set of `items` fingerprints: a pure function, so the 100M
// set never has to be held in memory (positives are re-derived from it).
fingerprint item_at(std::uint64_t items, std::uint64_t i) {
  return splitmix64(items ^ (i << 1)).next_fingerprint();
}

// Above this many items only lookups are measured (no insert or uset rows),
// and the item list is not materialised.
constexpr std::uint64_t kMaterialisedItems = 10'000'000;

// Items to insert and query streams for one size; shared by all structures.
struct dataset {
  std::vector<fingerprint> items;      // empty above kMaterialisedItems
  std::vector<fingerprint> positives;  // random sample of items, in random order
  std::vector<fingerprint> negatives;  // never inserted
};

const dataset& dataset_for(std::uint64_t items) {
  static std::map<std::uint64_t, std::unique_ptr<dataset>> cache;
  auto& slot = cache[items];
  if (!slot) {
    slot = std::make_unique<dataset>();
    if (items <= kMaterialisedItems) {
      slot->items.resize(items);
      for (std::uint64_t i = 0; i < items; ++i)
        slot->items[i] = item_at(items, i);
    }
    splitmix64 rng(~items);
    slot->positives.resize(kQueryCount);
    for (auto& fp : slot->positives)
      fp = item_at(items, rng.next() % items);
    slot->negatives.resize(kQueryCount);
    for (auto& fp : slot->negatives)
      fp = rng.next_fingerprint();
  }
  return *slot;
}

// Calls add(chunk) over all items of a size, in chunks, without holding them all.
template <typename Add>
void for_each_item_chunk(std::uint64_t items, Add add) {
  std::vector<fingerprint> chunk(4096);
  for (std::uint64_t first = 0; first < items; first += chunk.size()) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), items - first));
    for (std::size_t j = 0; j < n; ++j)
      chunk[j] = item_at(items, first + j);
    add(std::span<const fingerprint>(chunk.data(), n));
  }
}

template <typename Structure>
double measured_fp_rate(const Structure& s) {
  splitmix64 rng(0xfa15e);
  std::uint64_t hits = 0;
  for (std::size_t i = 0; i < kFalsePositiveProbes; ++i) {
    hits += s.may_contain(rng.next_fingerprint()) ? 1 : 0;
  }
  return static_cast<double>(hits) / kFalsePositiveProbes;
}

struct ours_fixture {
  filter f;
  double fp_rate;
};

struct textbook_fixture {
  std::unique_ptr<textbook_bloom> f;
  double fp_rate;
};

double rate_of(const benchmark::State& state) {
  return static_cast<double>(state.range(1)) / 10'000.0;  // basis points
}

const ours_fixture& ours_for(std::uint64_t items, double rate) {
  static std::map<std::pair<std::uint64_t, double>, std::unique_ptr<ours_fixture>> cache;
  auto& slot = cache[{items, rate}];
  if (!slot) {
    auto made = filter::with_capacity(items, rate, 1);
    if (!made)
      std::abort();
    for_each_item_chunk(items,
                        [&](std::span<const fingerprint> chunk) { made->insert_batch(chunk); });
    const double fp_rate = measured_fp_rate(*made);
    slot = std::make_unique<ours_fixture>(ours_fixture{std::move(*made), fp_rate});
  }
  return *slot;
}

const textbook_fixture& textbook_for(std::uint64_t items, double rate) {
  static std::map<std::pair<std::uint64_t, double>, std::unique_ptr<textbook_fixture>> cache;
  auto& slot = cache[{items, rate}];
  if (!slot) {
    auto made = std::make_unique<textbook_bloom>(items, rate);
    for_each_item_chunk(items, [&](std::span<const fingerprint> chunk) {
      for (const fingerprint& fp : chunk)
        made->insert(fp);
    });
    const double fp_rate = measured_fp_rate(*made);
    slot = std::make_unique<textbook_fixture>(textbook_fixture{std::move(made), fp_rate});
  }
  return *slot;
}

using fingerprint_set = std::unordered_set<fingerprint>;

const fingerprint_set& set_for(std::uint64_t items) {
  static std::map<std::uint64_t, std::unique_ptr<fingerprint_set>> cache;
  auto& slot = cache[items];
  if (!slot) {
    const auto& data = dataset_for(items);
    slot = std::make_unique<fingerprint_set>(data.items.begin(), data.items.end());
  }
  return *slot;
}

void set_per_op(benchmark::State& state, std::uint64_t ops_per_iteration) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ops_per_iteration));
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations() * ops_per_iteration) * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void set_filter_counters(benchmark::State& state, std::uint64_t bits, double fp_rate) {
  state.counters["bits_per_item"] = static_cast<double>(bits) / static_cast<double>(state.range(0));
  state.counters["fp_pct"] = fp_rate * 100.0;
}

// Runs `lookup(query)` over the query stream, kChunk per iteration.
template <typename Lookup>
void run_lookups(benchmark::State& state, const std::vector<fingerprint>& queries, Lookup lookup) {
  std::size_t offset = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kChunk; ++i)
      found += lookup(queries[offset + i]) ? 1 : 0;
    offset = (offset + kChunk) % kQueryCount;
  }
  benchmark::DoNotOptimize(found);
  set_per_op(state, kChunk);
}

void run_batch_lookups(benchmark::State& state, const filter& f,
                       const std::vector<fingerprint>& queries) {
  std::size_t offset = 0;
  bool answers[kChunk];
  std::uint64_t found = 0;
  for (auto _ : state) {
    f.may_contain_batch(std::span<const fingerprint>(queries.data() + offset, kChunk), answers);
    for (bool a : answers)
      found += a ? 1 : 0;
    offset = (offset + kChunk) % kQueryCount;
  }
  benchmark::DoNotOptimize(found);
  set_per_op(state, kChunk);
}

// --- ours -------------------------------------------------------------------

void ours_insert(benchmark::State& state) {
  const auto& data = dataset_for(state.range(0));
  std::uint64_t bits = 0;
  for (auto _ : state) {
    auto made = filter::with_capacity(state.range(0), rate_of(state), 1);
    if (!made)
      std::abort();
    for (const auto& fp : data.items)
      made->insert(fp);
    bits = made->bit_count();
    benchmark::DoNotOptimize(made->item_count());
  }
  set_per_op(state, data.items.size());
  state.counters["bits_per_item"] = static_cast<double>(bits) / static_cast<double>(state.range(0));
}

void ours_insert_batch(benchmark::State& state) {
  const auto& data = dataset_for(state.range(0));
  for (auto _ : state) {
    auto made = filter::with_capacity(state.range(0), rate_of(state), 1);
    if (!made)
      std::abort();
    made->insert_batch(data.items);
    benchmark::DoNotOptimize(made->item_count());
  }
  set_per_op(state, data.items.size());
}

void ours_with_items(benchmark::State& state) {
  const auto& data = dataset_for(state.range(0));
  for (auto _ : state) {
    auto made = filter::with_items(data.items, 0, rate_of(state), 1);
    if (!made)
      std::abort();
    benchmark::DoNotOptimize(made->item_count());
  }
  set_per_op(state, data.items.size());
}

void ours_positive_single(benchmark::State& state) {
  const auto& fx = ours_for(state.range(0), rate_of(state));
  run_lookups(state, dataset_for(state.range(0)).positives,
              [&](const fingerprint& fp) { return fx.f.may_contain(fp); });
  set_filter_counters(state, fx.f.bit_count(), fx.fp_rate);
}

void ours_positive_batch(benchmark::State& state) {
  const auto& fx = ours_for(state.range(0), rate_of(state));
  run_batch_lookups(state, fx.f, dataset_for(state.range(0)).positives);
  set_filter_counters(state, fx.f.bit_count(), fx.fp_rate);
}

void ours_negative_single(benchmark::State& state) {
  const auto& fx = ours_for(state.range(0), rate_of(state));
  run_lookups(state, dataset_for(state.range(0)).negatives,
              [&](const fingerprint& fp) { return fx.f.may_contain(fp); });
  set_filter_counters(state, fx.f.bit_count(), fx.fp_rate);
}

void ours_negative_batch(benchmark::State& state) {
  const auto& fx = ours_for(state.range(0), rate_of(state));
  run_batch_lookups(state, fx.f, dataset_for(state.range(0)).negatives);
  set_filter_counters(state, fx.f.bit_count(), fx.fp_rate);
}

// Negative batch lookups on one lookup path (range 2: 0 portable, 1 bmi2,
// 2 avx2, 3 avx512), to show what each kernel contributes.
void ours_negative_batch_path(benchmark::State& state) {
  const auto path = static_cast<filter::lookup_path>(state.range(2));
  if (!filter::lookup_path_supported(path)) {
    state.SkipWithError("lookup path not supported by this CPU");
    return;
  }
  const auto& fx = ours_for(state.range(0), rate_of(state));
  const auto& queries = dataset_for(state.range(0)).negatives;
  std::size_t offset = 0;
  bool answers[kChunk];
  std::uint64_t found = 0;
  for (auto _ : state) {
    fx.f.may_contain_batch(std::span<const fingerprint>(queries.data() + offset, kChunk), answers,
                           path);
    for (bool a : answers)
      found += a ? 1 : 0;
    offset = (offset + kChunk) % kQueryCount;
  }
  benchmark::DoNotOptimize(found);
  set_per_op(state, kChunk);
}

// --- textbook baseline ------------------------------------------------------

void textbook_insert(benchmark::State& state) {
  const auto& data = dataset_for(state.range(0));
  std::uint64_t bits = 0;
  for (auto _ : state) {
    textbook_bloom made(state.range(0), rate_of(state));
    for (const auto& fp : data.items)
      made.insert(fp);
    bits = made.bit_count();
    benchmark::ClobberMemory();
  }
  set_per_op(state, data.items.size());
  state.counters["bits_per_item"] = static_cast<double>(bits) / static_cast<double>(state.range(0));
}

void textbook_positive(benchmark::State& state) {
  const auto& fx = textbook_for(state.range(0), rate_of(state));
  run_lookups(state, dataset_for(state.range(0)).positives,
              [&](const fingerprint& fp) { return fx.f->may_contain(fp); });
  set_filter_counters(state, fx.f->bit_count(), fx.fp_rate);
}

void textbook_negative(benchmark::State& state) {
  const auto& fx = textbook_for(state.range(0), rate_of(state));
  run_lookups(state, dataset_for(state.range(0)).negatives,
              [&](const fingerprint& fp) { return fx.f->may_contain(fp); });
  set_filter_counters(state, fx.f->bit_count(), fx.fp_rate);
}

// --- std::unordered_set -----------------------------------------------------

void uset_insert(benchmark::State& state) {
  const auto& data = dataset_for(state.range(0));
  for (auto _ : state) {
    fingerprint_set made;
    for (const auto& fp : data.items)
      made.insert(fp);
    benchmark::DoNotOptimize(made.size());
  }
  set_per_op(state, data.items.size());
}

void uset_positive(benchmark::State& state) {
  const auto& set = set_for(state.range(0));
  run_lookups(state, dataset_for(state.range(0)).positives,
              [&](const fingerprint& fp) { return set.contains(fp); });
}

void uset_negative(benchmark::State& state) {
  const auto& set = set_for(state.range(0));
  run_lookups(state, dataset_for(state.range(0)).negatives,
              [&](const fingerprint& fp) { return set.contains(fp); });
}

// Sizes x design rates (basis points: 100 = 1%, 10 = 0.1%) for builds and uset.
void filter_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"items", "rate_bp"});
  for (const std::int64_t items : {1'000'000, 10'000'000}) {
    for (const std::int64_t bp : {100, 10})
      b->Args({items, bp});
  }
}

// Lookups also run on 100M items at 0.1% (about 200 MB, far above the L3), to
// show the out-of-cache case; and on 10K items (20 KB, in L1), to show the
// instruction cost alone.
void lookup_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"items", "rate_bp"});
  b->Args({10'000, 10});
  filter_args(b);
  b->Args({100'000'000, 10});
}

void path_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"items", "rate_bp", "path"});
  for (const std::int64_t items : {10'000, 10'000'000}) {
    for (std::int64_t path = 0; path < 4; ++path)
      b->Args({items, 10, path});
  }
}

void set_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"items"});
  for (const std::int64_t items : {1'000'000, 10'000'000})
    b->Args({items});
}

}  // namespace

BENCHMARK(ours_insert)->Apply(filter_args)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(ours_insert_batch)->Apply(filter_args)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(ours_with_items)->Apply(filter_args)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(textbook_insert)->Apply(filter_args)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(uset_insert)->Apply(set_args)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(ours_positive_single)->Apply(lookup_args);
BENCHMARK(ours_positive_batch)->Apply(lookup_args);
BENCHMARK(textbook_positive)->Apply(lookup_args);
BENCHMARK(uset_positive)->Apply(set_args);
BENCHMARK(ours_negative_single)->Apply(lookup_args);
BENCHMARK(ours_negative_batch)->Apply(lookup_args);
BENCHMARK(ours_negative_batch_path)->Apply(path_args);
BENCHMARK(textbook_negative)->Apply(lookup_args);
BENCHMARK(uset_negative)->Apply(set_args);

BENCHMARK_MAIN();
