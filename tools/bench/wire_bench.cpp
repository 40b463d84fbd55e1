// Wire codec throughput: delta batches of 10,000 changes encoded and decoded
// in binary and JSON (changes per second), and exact snapshots of 1M entries.
// The target is >= 1M changes per second served in binary form.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace {

using namespace banlist;
using namespace banlist::sdk;

constexpr std::size_t kBatchChanges = 10'000;
constexpr std::size_t kSnapshotEntries = 1'000'000;

delta_batch make_batch() {
  std::mt19937_64 rng(42);
  delta_batch b;
  b.epoch = rng();
  b.from = 1'000'000;
  for (std::size_t i = 0; i < kBatchChanges; ++i) {
    delta_change c;
    c.seq = b.from + 1 + i;
    c.op = rng() % 4 == 0 ? change_op::lift : change_op::ban;
    c.fp = {rng(), rng()};
    c.type = static_cast<identifier_type>(1 + rng() % 8);
    c.reason = c.op == change_op::ban ? static_cast<std::uint8_t>(1 + rng() % 14)
                                      : static_cast<std::uint8_t>(1 + rng() % 4);
    c.at_ms = static_cast<std::int64_t>(1'700'000'000'000 + i * 37);
    b.changes.push_back(c);
  }
  b.to = b.head = b.from + kBatchChanges;
  b.digest = {rng(), rng()};
  b.min_wait_s = 5;
  return b;
}

std::vector<snapshot_entry> make_entries() {
  std::mt19937_64 rng(43);
  std::vector<snapshot_entry> entries(kSnapshotEntries);
  for (auto& e : entries)
    e = {{rng(), rng()}, identifier_type::phone, ban_reason::telecom_fraud};
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.fp < b.fp; });
  return entries;
}

void set_counters(benchmark::State& state, std::size_t items, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_delta_binary_encode(benchmark::State& state) {
  const delta_batch batch = make_batch();
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    encode_delta_binary(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, kBatchChanges, out.size());
}
BENCHMARK(BM_delta_binary_encode);

void BM_delta_binary_decode(benchmark::State& state) {
  const auto bytes = encode_delta_binary(make_batch());
  for (auto _ : state) {
    auto batch = decode_delta_binary(bytes);
    if (!batch)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(batch);
  }
  set_counters(state, kBatchChanges, bytes.size());
}
BENCHMARK(BM_delta_binary_decode);

void BM_delta_json_encode(benchmark::State& state) {
  const delta_batch batch = make_batch();
  std::size_t size = 0;
  for (auto _ : state) {
    const std::string text = encode_delta_json(batch);
    size = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  set_counters(state, kBatchChanges, size);
}
BENCHMARK(BM_delta_json_encode);

void BM_delta_json_decode(benchmark::State& state) {
  const std::string text = encode_delta_json(make_batch());
  for (auto _ : state) {
    auto batch = decode_delta_json(text);
    if (!batch)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(batch);
  }
  set_counters(state, kBatchChanges, text.size());
}
BENCHMARK(BM_delta_json_decode);

void BM_snapshot_fps_encode(benchmark::State& state) {
  const auto entries = make_entries();
  const fingerprint digest = digest_of(entries);
  std::size_t size = 0;
  for (auto _ : state) {
    const auto bytes = encode_snapshot_fps(1, 2, digest, 3, entries);
    size = bytes.size();
    benchmark::DoNotOptimize(bytes.data());
  }
  set_counters(state, kSnapshotEntries, size);
}
BENCHMARK(BM_snapshot_fps_encode)->Unit(benchmark::kMillisecond);

void BM_snapshot_fps_decode(benchmark::State& state) {
  const auto entries = make_entries();
  const auto bytes = encode_snapshot_fps(1, 2, digest_of(entries), 3, entries);
  for (auto _ : state) {
    auto snap = decode_snapshot(bytes);
    if (!snap)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(snap);
  }
  set_counters(state, kSnapshotEntries, bytes.size());
}
BENCHMARK(BM_snapshot_fps_decode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
