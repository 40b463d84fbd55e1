#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "random_fingerprints.hpp"

using banlist::fingerprint;
using banlist::bloom::filter;
using banlist::bloom::test::random_fingerprints;

// Run under ThreadSanitizer by scripts/test (ctest -R concurren): inserts,
// batch inserts, lookups, batch lookups and serialize race on the same filter without a lock.
TEST_CASE("concurrent inserts and lookups need no lock and lose nothing", "[bloom]") {
  constexpr std::size_t kWriters = 3;
  constexpr std::size_t kPerWriter = 100'000;
  auto made = filter::with_capacity(kWriters * kPerWriter, 0.01, 17);
  REQUIRE(made.has_value());
  filter& f = *made;

  std::vector<std::vector<fingerprint>> batches;
  for (std::size_t w = 0; w < kWriters; ++w) {
    batches.push_back(random_fingerprints(1000 + w).take(kPerWriter));
  }
  // Fingerprints inserted before the threads start must be visible throughout.
  const std::vector<fingerprint> early = random_fingerprints(999).take(1000);
  for (const fingerprint& fp : early)
    f.insert(fp);

  std::atomic<bool> writers_done{false};
  std::atomic<std::uint64_t> early_missed{0};
  std::atomic<std::uint64_t> serialize_failures{0};
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < kWriters; ++w) {
    // The last writer uses insert_batch (in chunks), the others insert().
    threads.emplace_back([&f, &batch = batches[w], bulk = w + 1 == kWriters] {
      if (bulk) {
        for (std::size_t first = 0; first < batch.size(); first += 1000)
          f.insert_batch(std::span<const fingerprint>(batch).subspan(first, 1000));
        return;
      }
      for (const fingerprint& fp : batch)
        f.insert(fp);
    });
  }
  threads.emplace_back([&] {  // single lookups and batch lookups while writers run
    auto answers = std::make_unique<bool[]>(early.size());
    do {
      for (const fingerprint& fp : early) {
        if (!f.may_contain(fp))
          early_missed.fetch_add(1);
      }
      // The best path (SIMD block loads, invisible to TSan) and the portable
      // one (relaxed atomic word loads, which TSan checks).
      for (const auto path : {filter::best_lookup_path(), filter::lookup_path::portable}) {
        f.may_contain_batch(early, std::span<bool>(answers.get(), early.size()), path);
        for (std::size_t i = 0; i < early.size(); ++i) {
          if (!answers[i])
            early_missed.fetch_add(1);
        }
      }
      // Probing the writers' items mid-flight: any answer is allowed, no crash or race.
      for (const auto& batch : batches)
        (void)f.may_contain(batch[batch.size() / 2]);
    } while (!writers_done.load());
  });
  threads.emplace_back([&] {  // snapshots taken during inserts stay readable
    do {
      const std::vector<std::uint8_t> bytes = f.serialize();
      if (!filter::deserialize(bytes).has_value())
        serialize_failures.fetch_add(1);
    } while (!writers_done.load());
  });
  for (std::size_t w = 0; w < kWriters; ++w)
    threads[w].join();
  writers_done.store(true);
  for (std::size_t t = kWriters; t < threads.size(); ++t)
    threads[t].join();

  CHECK(early_missed.load() == 0);
  CHECK(serialize_failures.load() == 0);
  CHECK(f.item_count() == early.size() + kWriters * kPerWriter);
  std::uint64_t missing = 0;
  for (const auto& batch : batches) {
    for (const fingerprint& fp : batch)
      missing += f.may_contain(fp) ? 0 : 1;
  }
  CHECK(missing == 0);
}
