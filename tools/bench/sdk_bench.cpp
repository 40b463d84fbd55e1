// Partner client benchmarks (docs/benchmarks.md records the figures):
//   - ns per local_replica::check(fingerprint) and check(phone, value) (the
//     fast-path phone form), from 1 and 2 threads while a writer thread
//     applies delta batches (100 changes every millisecond, bans and lifts);
//   - ns per fingerprint of local_replica::check_many (batches of 16 and
//     256, prefetching) beside the single check, same conditions;
//   - memory per ban of each mode (counter bytes_per_ban);
//   - time to bootstrap from snapshot bytes already in memory (decode,
//     validate, build), 1M and 10M bans, each mode. The network part of a
//     bootstrap is measured against a live banlistd elsewhere.
// Targets: check(fp) <= 100 ns, check(phone) <= 400 ns; filter <= 2.1 and
// replica <= 24 bytes per ban.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/client_replica.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "fingerprint_table.hpp"  // sdk/src/client: the table's prefetching, side by side
#include "read_mostly_lock.hpp"   // sdk/src/client: the lock flavour for side-by-side runs

namespace {

using namespace banlist;
using namespace banlist::sdk;

constexpr std::uint64_t kSeed = 0x5eed;
constexpr std::uint64_t kEpoch = 0xabcdef;

// A random list of n bans with a number of them being banned phones (so the
// by-value benchmark hits as well as misses).
struct list_fixture {
  std::vector<snapshot_entry> entries;  // sorted
  fingerprint digest;
  std::vector<std::string> phones;  // canonical 11-digit mobiles, half of them banned

  explicit list_fixture(std::size_t n) {
    std::mt19937_64 rng(n);
    entries.reserve(n);
    for (std::size_t i = 0; i < 4096; ++i) {
      const std::string phone = "13" + std::to_string(100000000 + rng() % 900000000);
      phones.push_back(phone);
      if (i % 2 == 0)
        entries.push_back({fingerprint_of(identifier_type::phone, "+86" + phone, kSeed),
                           identifier_type::phone, ban_reason::telecom_fraud});
    }
    while (entries.size() < n)
      entries.push_back({{rng(), rng()}, identifier_type::device, ban_reason::fake_shop});
    std::sort(entries.begin(), entries.end(),
              [](const snapshot_entry& a, const snapshot_entry& b) { return a.fp < b.fp; });
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const auto& a, const auto& b) { return a.fp == b.fp; }),
                  entries.end());
    digest = digest_of(entries);
  }

  std::vector<std::uint8_t> exact_bytes() const {
    return encode_snapshot_fps(kEpoch, 1, digest, kSeed, entries);
  }
  std::vector<std::uint8_t> filter_bytes() const {
    std::vector<fingerprint> fps;
    fps.reserve(entries.size());
    for (const auto& e : entries)
      fps.push_back(e.fp);
    auto f = bloom::filter::with_items(fps, fps.size(), 0.001, kSeed);
    return encode_snapshot_filter(kEpoch, 1, digest, *f);
  }
};

const list_fixture& fixture(std::size_t n) {
  static std::mutex mutex;
  static std::map<std::size_t, std::unique_ptr<list_fixture>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[n];
  if (!slot)
    slot = std::make_unique<list_fixture>(n);
  return *slot;
}

std::unique_ptr<local_replica> load(client_mode mode, std::size_t n) {
  const auto& f = fixture(n);
  auto r = std::make_unique<local_replica>(mode);
  auto snap = decode_snapshot(mode == client_mode::replica ? f.exact_bytes() : f.filter_bytes());
  if (!snap || !r->load_snapshot(std::move(*snap)))
    std::abort();
  return r;
}

// Applies a batch of 100 changes every millisecond: bans of new
// fingerprints and lifts of earlier ones, each batch digest-checked.
class delta_writer {
 public:
  explicit delta_writer(local_replica& r) : replica_(r) {
    const auto st = r.status();
    seq_ = st.seq;
    digest_.value = st.digest;
    thread_ = std::thread([this] { run(); });
  }
  ~delta_writer() {
    stop_ = true;
    thread_.join();
  }
  std::uint64_t applied() const { return applied_; }

 private:
  void run() {
    std::mt19937_64 rng(5);
    std::vector<fingerprint> flapping;
    while (!stop_) {
      delta_batch b;
      b.epoch = kEpoch;
      b.from = seq_;
      for (int i = 0; i < 100; ++i) {
        delta_change c;
        c.seq = ++seq_;
        if (!flapping.empty() && rng() % 2 == 0) {
          c.op = change_op::lift;
          c.fp = flapping.back();
          flapping.pop_back();
          c.reason = static_cast<std::uint8_t>(lift_reason::mistake);
        } else {
          c.op = change_op::ban;
          c.fp = {rng(), rng()};
          flapping.push_back(c.fp);
          c.reason = static_cast<std::uint8_t>(ban_reason::spam);
        }
        c.type = identifier_type::device;
        digest_.toggle(c.fp);
        b.changes.push_back(c);
      }
      b.to = b.head = seq_;
      b.digest = digest_.value;
      if (!replica_.apply(b))
        std::abort();
      applied_ += 100;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  local_replica& replica_;
  std::uint64_t seq_ = 0;
  bloom::set_digest digest_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> applied_{0};
  std::thread thread_;
};

// Shared by the benchmark threads of one run; thread 0 sets it up.
struct run_state {
  std::unique_ptr<local_replica> replica;
  std::unique_ptr<delta_writer> writer;
};
run_state g_run;

// prefetch_arg: index of the argument choosing the replica table's
// prefetching (0 = as before this change: find() nothing, check_many the
// home slot; 1 = the default: the scan's lines), or -1 for the default.
void setup(const benchmark::State& state, client_mode mode, int prefetch_arg = -1) {
  if (state.thread_index() != 0)
    return;
  // Third argument (check benchmarks): 0 = the symmetric read lock (seq_cst
  // read-modify-writes per check: the code before the asymmetric flavour),
  // 1 = the default (asymmetric where membarrier is available).
  sdk::detail::force_symmetric_read_locks(state.range(2) == 0);
  sdk::detail::force_home_slot_prefetch(prefetch_arg >= 0 && state.range(prefetch_arg) == 0);
  g_run.replica = load(mode, static_cast<std::size_t>(state.range(0)));
  sdk::detail::force_symmetric_read_locks(false);
  sdk::detail::force_home_slot_prefetch(false);
  if (state.range(1) != 0)  // second argument: 1 = deltas applied meanwhile
    g_run.writer = std::make_unique<delta_writer>(*g_run.replica);
}
void teardown(const benchmark::State& state) {
  if (state.thread_index() != 0)
    return;
  g_run.writer.reset();
  g_run.replica.reset();
}

void check_fingerprint(benchmark::State& state, client_mode) {
  const auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  // Half members, half random: the hit and miss paths both count.
  std::mt19937_64 rng(100 + static_cast<unsigned>(state.thread_index()));
  std::vector<fingerprint> probes(1 << 16);
  for (std::size_t i = 0; i < probes.size(); ++i)
    probes[i] = i % 2 ? f.entries[rng() % f.entries.size()].fp : fingerprint{rng(), rng()};
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    const auto r = g_run.replica->check(probes[i++ & (probes.size() - 1)]);
    hits += r.verdict != check_verdict::not_banned;
    benchmark::DoNotOptimize(r);
  }
  state.counters["hit_share"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}

void check_phone(benchmark::State& state, client_mode) {
  const auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  std::size_t banned = 0;
  for (auto _ : state) {
    const auto r = g_run.replica->check(identifier_type::phone, f.phones[i++ & 4095]);
    banned += r && r->verdict != check_verdict::not_banned;
    benchmark::DoNotOptimize(r);
  }
  state.counters["hit_share"] =
      static_cast<double>(banned) / static_cast<double>(state.iterations());
}

void BM_check_fingerprint_replica(benchmark::State& state) {
  setup(state, client_mode::replica, 3);
  check_fingerprint(state, client_mode::replica);
  teardown(state);
}
void BM_check_fingerprint_filter(benchmark::State& state) {
  setup(state, client_mode::filter, 3);
  check_fingerprint(state, client_mode::filter);
  teardown(state);
}
void BM_check_phone_replica(benchmark::State& state) {
  setup(state, client_mode::replica);
  check_phone(state, client_mode::replica);
  teardown(state);
}
void BM_check_phone_filter(benchmark::State& state) {
  setup(state, client_mode::filter);
  check_phone(state, client_mode::filter);
  teardown(state);
}

// check_many over batches of range(3) probes (same probe mix as
// check_fingerprint); time per iteration is per batch, the counter
// ns_per_check per fingerprint.
void check_many(benchmark::State& state) {
  const auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(3));
  std::mt19937_64 rng(100 + static_cast<unsigned>(state.thread_index()));
  std::vector<fingerprint> probes(1 << 16);
  for (std::size_t i = 0; i < probes.size(); ++i)
    probes[i] = i % 2 ? f.entries[rng() % f.entries.size()].fp : fingerprint{rng(), rng()};
  std::vector<check_result> out(batch);
  std::size_t start = 0;
  for (auto _ : state) {
    g_run.replica->check_many(std::span(probes).subspan(start, batch), out);
    benchmark::DoNotOptimize(out.data());
    start = (start + batch) % (probes.size() - batch);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.counters["ns_per_check"] = benchmark::Counter(
      static_cast<double>(state.iterations() * static_cast<std::int64_t>(batch)),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
void BM_check_many_replica(benchmark::State& state) {
  setup(state, client_mode::replica, 4);
  check_many(state);
  teardown(state);
}
void BM_check_many_filter(benchmark::State& state) {
  setup(state, client_mode::filter, 4);
  check_many(state);
  teardown(state);
}

// The replica table alone (no lock, no writer, one thread): find() over the
// same probe mix, with the scan's second line prefetched (range(1) = 1) or
// not (0, as before). range(2) > 0: lookups in batches of that size, each
// item's lines prefetched 8 items ahead as check_many does (prefetch() when
// range(1) = 1, prefetch_home_slot() when 0). Counter lines_per_lookup:
// distinct 64-byte lines the scan reads, from fingerprint_table::lines_read
// over all probes; ns_per_check: CPU ns per fingerprint.
void BM_table_find(benchmark::State& state) {
  const auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  sdk::detail::force_home_slot_prefetch(state.range(1) == 0);
  const auto table =
      sdk::detail::fingerprint_table::from_sorted(f.entries.size(), 0, [&f](std::size_t i) {
        const auto& e = f.entries[i];
        return std::pair{
            e.fp, sdk::detail::fingerprint_table::value{static_cast<std::uint8_t>(e.type),
                                                        static_cast<std::uint8_t>(e.reason)}};
      });
  sdk::detail::force_home_slot_prefetch(false);
  std::mt19937_64 rng(100);
  std::vector<fingerprint> probes(1 << 16);
  for (std::size_t i = 0; i < probes.size(); ++i)
    probes[i] = i % 2 ? f.entries[rng() % f.entries.size()].fp : fingerprint{rng(), rng()};
  std::size_t lines = 0;
  std::size_t more_than_one = 0;
  for (const auto& p : probes) {
    const std::size_t n = table.lines_read(p);
    lines += n;
    more_than_one += n > 1;
  }
  const auto batch = static_cast<std::size_t>(state.range(2));
  constexpr std::size_t kAhead = 8;
  std::size_t i = 0;
  for (auto _ : state) {
    sdk::detail::fingerprint_table::value v;
    if (batch == 0) {
      benchmark::DoNotOptimize(table.find(probes[i++ & (probes.size() - 1)], &v));
      continue;
    }
    const std::span<const fingerprint> items(probes.data() + i, batch);
    i = (i + batch) % (probes.size() - batch);
    for (std::size_t k = 0; k < std::min(kAhead, batch); ++k)
      state.range(1) ? table.prefetch(items[k]) : table.prefetch_home_slot(items[k]);
    for (std::size_t k = 0; k < batch; ++k) {
      if (k + kAhead < batch)
        state.range(1) ? table.prefetch(items[k + kAhead])
                       : table.prefetch_home_slot(items[k + kAhead]);
      benchmark::DoNotOptimize(table.find(items[k], &v));
    }
  }
  const auto per_iteration = static_cast<double>(batch == 0 ? 1 : batch);
  state.counters["ns_per_check"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * per_iteration,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
  state.counters["lines_per_lookup"] =
      static_cast<double>(lines) / static_cast<double>(probes.size());
  state.counters["share_over_1_line"] =
      static_cast<double>(more_than_one) / static_cast<double>(probes.size());
}

// Bootstrap from bytes in memory: decode (validate, checksum, digest) + build.
void bootstrap(benchmark::State& state, client_mode mode) {
  const auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto bytes = mode == client_mode::replica ? f.exact_bytes() : f.filter_bytes();
  double bytes_per_ban = 0;
  for (auto _ : state) {
    local_replica r(mode);
    auto snap = decode_snapshot(bytes);
    if (!snap || !r.load_snapshot(std::move(*snap)))
      std::abort();
    const auto st = r.status();
    bytes_per_ban = static_cast<double>(st.memory_bytes) / static_cast<double>(st.count);
  }
  state.counters["bytes_per_ban"] = bytes_per_ban;
  state.counters["snapshot_MB"] = static_cast<double>(bytes.size()) / 1e6;
}
void BM_bootstrap_replica(benchmark::State& state) {
  bootstrap(state, client_mode::replica);
}
void BM_bootstrap_filter(benchmark::State& state) {
  bootstrap(state, client_mode::filter);
}

}  // namespace

// Arguments: list size, deltas applied meanwhile (0 or 1), read lock
// flavour (0 symmetric = the old code, 1 default), replica table
// prefetching (0 as before, 1 default; no effect on the filter itself).
BENCHMARK(BM_check_fingerprint_replica)
    ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {0, 1}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_check_fingerprint_filter)
    ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {0, 1}, {1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
// check_many: list size, deltas, lock flavour (the default), the batch size,
// prefetching (0 the home slot as before, 1 the scan's lines).
BENCHMARK(BM_check_many_replica)
    ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {1}, {16, 256}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_check_many_filter)
    ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {1}, {16, 256}, {1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_check_phone_replica)
    ->ArgsProduct({{1'000'000}, {0, 1}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_check_phone_filter)
    ->ArgsProduct({{1'000'000}, {0, 1}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_table_find)->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {0, 256}});
BENCHMARK(BM_bootstrap_replica)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);
BENCHMARK(BM_bootstrap_filter)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

BENCHMARK_MAIN();
