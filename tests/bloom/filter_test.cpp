#include "banlist/bloom/filter.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "random_fingerprints.hpp"

using banlist::fingerprint;
using banlist::bloom::filter;
using banlist::bloom::filter_errc;
using banlist::bloom::test::random_fingerprints;

namespace {

filter make_filter(std::uint64_t items, double rate, std::uint64_t seed = 42) {
  auto f = filter::with_capacity(items, rate, seed);
  REQUIRE(f.has_value());
  return std::move(*f);
}

// Counts how many of `probes` fresh fingerprints (never inserted) the filter accepts.
std::uint64_t count_false_positives(const filter& f, random_fingerprints& fresh,
                                    std::uint64_t probes) {
  std::uint64_t hits = 0;
  for (std::uint64_t i = 0; i < probes; ++i)
    hits += f.may_contain(fresh.next()) ? 1 : 0;
  return hits;
}

}  // namespace

TEST_CASE("with_capacity rejects zero, absurd and out-of-range parameters", "[bloom]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(filter::with_capacity(0, 0.01, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_capacity(100, 0.0, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_capacity(100, 1.0, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_capacity(100, -0.5, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_capacity(100, nan, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_capacity(std::uint64_t{1} << 62, 0.01, 1).error() == filter_errc::too_large);
  CHECK(filter::with_capacity(std::uint64_t{1} << 33, 1e-6, 1).error() == filter_errc::too_large);
  CHECK(filter::with_geometry(0, 4, 1).error() == filter_errc::bad_geometry);
  CHECK(filter::with_geometry(1, 0, 1).error() == filter_errc::bad_geometry);
  CHECK(filter::with_geometry(1, 17, 1).error() == filter_errc::bad_geometry);
  CHECK(filter::with_geometry((std::uint64_t{1} << 28) + 1, 4, 1).error() ==
        filter_errc::bad_geometry);
}

TEST_CASE("error codes carry the bloom category and readable messages", "[bloom]") {
  const std::error_code ec = filter_errc::checksum_mismatch;
  CHECK(std::string(ec.category().name()) == "banlist.bloom");
  CHECK(ec.message() == "filter checksum mismatch");
  CHECK(ec != std::error_code(filter_errc::truncated));
}

TEST_CASE("a new filter reports its geometry and is empty", "[bloom]") {
  const filter f = make_filter(10'000, 0.01, 0xabcdef);
  CHECK(f.item_count() == 0);
  CHECK(f.seed() == 0xabcdef);
  CHECK(f.bit_count() == f.block_count() * 512);
  CHECK(f.byte_size() == f.block_count() * 64);
  CHECK(f.probe_count() >= 1);
  CHECK(f.probe_count() <= 16);
  CHECK(f.estimated_false_positive_rate() == 0.0);
  // Between the textbook minimum (9.6 bits) and the cache-local cost (~10.1) plus one block.
  const double bits_per_item = static_cast<double>(f.bit_count()) / 10'000;
  CHECK(bits_per_item > 9.6);
  CHECK(bits_per_item < 11.0);
  random_fingerprints fresh(7);
  for (int i = 0; i < 1000; ++i)
    CHECK_FALSE(f.may_contain(fresh.next()));
}

TEST_CASE("no false negatives, single and batch, at several sizes", "[bloom]") {
  const std::uint64_t sizes[] = {1, 10, 1'000, 100'000, 1'000'000};
  const double rates[] = {0.01, 0.001};
  for (const std::uint64_t size : sizes) {
    for (const double rate : rates) {
      CAPTURE(size, rate);
      filter f = make_filter(size, rate, size);
      random_fingerprints source(size * 977 + 3);
      // Also overfill 2x: a fuller filter errs more but never forgets.
      const std::vector<fingerprint> items = source.take(size * 2);
      for (const fingerprint& fp : items)
        f.insert(fp);
      CHECK(f.item_count() == items.size());
      std::uint64_t missing = 0;
      for (const fingerprint& fp : items)
        missing += f.may_contain(fp) ? 0 : 1;
      CHECK(missing == 0);
      auto answers = std::make_unique<bool[]>(items.size());
      f.may_contain_batch(items, std::span<bool>(answers.get(), items.size()));
      std::uint64_t batch_missing = 0;
      for (std::size_t i = 0; i < items.size(); ++i)
        batch_missing += answers[i] ? 0 : 1;
      CHECK(batch_missing == 0);
    }
  }
}

TEST_CASE("measured false-positive rate stays within 1.25x of the design rate at 1M items",
          "[bloom]") {
  constexpr std::uint64_t kItems = 1'000'000;
  constexpr std::uint64_t kProbes = 3'000'000;
  for (const double rate : {0.01, 0.001}) {
    CAPTURE(rate);
    filter f = make_filter(kItems, rate, 99);
    random_fingerprints source(0x5eed0000 + static_cast<std::uint64_t>(rate * 1e6));
    for (std::uint64_t i = 0; i < kItems; ++i)
      f.insert(source.next());
    const double measured =
        static_cast<double>(count_false_positives(f, source, kProbes)) / kProbes;
    CAPTURE(measured, f.estimated_false_positive_rate(), f.bit_count());
    CHECK(measured <= 1.25 * rate);
    // Not wildly oversized either: the sizing should spend its bits.
    CHECK(measured >= 0.5 * rate);
    // The model behind estimated_false_positive_rate agrees with reality.
    CHECK(std::abs(measured - f.estimated_false_positive_rate()) <= 0.2 * rate);
    const double bits_per_item = static_cast<double>(f.bit_count()) / kItems;
    CHECK(bits_per_item <= (rate == 0.001 ? 16.0 : 10.5));
  }
}

TEST_CASE("batch and single lookups agree on random mixes", "[bloom]") {
  filter f = make_filter(50'000, 0.05, 5);
  random_fingerprints source(1234);
  const std::vector<fingerprint> inserted = source.take(50'000);
  for (const fingerprint& fp : inserted)
    f.insert(fp);
  random_fingerprints picker(77);
  // Sizes that are not multiples of the prefetch group, including 0 and 1.
  for (const std::size_t length : {0, 1, 7, 16, 17, 31, 1000, 4099}) {
    CAPTURE(length);
    std::vector<fingerprint> mix(length);
    for (auto& fp : mix) {
      fp = (picker.next_u64() & 1) ? inserted[picker.next_u64() % inserted.size()] : picker.next();
    }
    auto batch = std::make_unique<bool[]>(length + 1);
    batch[length] = true;  // sentinel past the end must stay untouched
    f.may_contain_batch(mix, std::span<bool>(batch.get(), length));
    std::size_t disagreements = 0;
    for (std::size_t i = 0; i < length; ++i) {
      disagreements += batch[i] != f.may_contain(mix[i]) ? 1 : 0;
    }
    CHECK(disagreements == 0);
    CHECK(batch[length]);
  }
  // A shorter output span answers only as many as fit.
  std::vector<fingerprint> two = {inserted[0], inserted[1]};
  bool out[1] = {false};
  f.may_contain_batch(two, out);
  CHECK(out[0]);
}

TEST_CASE("item count counts re-inserts and the estimate grows with it", "[bloom]") {
  filter f = make_filter(1000, 0.01, 3);
  const fingerprint fp{1, 2};
  f.insert(fp);
  f.insert(fp);
  CHECK(f.item_count() == 2);
  random_fingerprints source(8);
  for (int i = 0; i < 998; ++i)
    f.insert(source.next());
  const double at_capacity = f.estimated_false_positive_rate();
  CHECK(at_capacity <= 0.01);
  CHECK(at_capacity > 0.001);
  for (int i = 0; i < 1000; ++i)
    f.insert(source.next());
  CHECK(f.estimated_false_positive_rate() > 2 * at_capacity);
}

TEST_CASE("moving and cloning keep the contents", "[bloom]") {
  filter f = make_filter(1000, 0.01, 11);
  random_fingerprints source(21);
  const std::vector<fingerprint> items = source.take(1000);
  for (const fingerprint& fp : items)
    f.insert(fp);

  auto copy = f.clone();
  REQUIRE(copy.has_value());
  filter moved(std::move(f));
  filter assigned = make_filter(10, 0.5, 0);
  assigned = std::move(*copy);
  for (const filter* g : {&moved, &assigned}) {
    CHECK(g->item_count() == 1000);
    CHECK(g->seed() == 11);
    std::uint64_t missing = 0;
    for (const fingerprint& fp : items)
      missing += g->may_contain(fp) ? 0 : 1;
    CHECK(missing == 0);
  }
  // The clone is independent: inserting into one leaves the other alone.
  fingerprint extra = source.next();
  while (assigned.may_contain(extra))
    extra = source.next();
  moved.insert(extra);
  CHECK(moved.may_contain(extra));
  CHECK_FALSE(assigned.may_contain(extra));
  CHECK(moved.item_count() == 1001);
  CHECK(assigned.item_count() == 1000);
}

TEST_CASE("large filters are built and answer correctly (huge-page path)", "[bloom]") {
  // 10M items at 0.1% is ~20 MB: above the 4 MiB threshold for 2 MiB alignment.
  filter f = make_filter(10'000'000, 0.001, 1);
  CHECK(f.byte_size() >= (std::uint64_t{4} << 20));
  CHECK(static_cast<double>(f.bit_count()) / 10'000'000 <= 16.0);
  random_fingerprints source(31);
  const std::vector<fingerprint> items = source.take(100'000);
  for (const fingerprint& fp : items)
    f.insert(fp);
  std::uint64_t missing = 0;
  for (const fingerprint& fp : items)
    missing += f.may_contain(fp) ? 0 : 1;
  CHECK(missing == 0);
}

TEST_CASE("every lookup path gives the portable path's answers for every k", "[bloom]") {
  using path = filter::lookup_path;
  const path paths[] = {path::portable, path::bmi2, path::avx2, path::avx512};
  const char* names[] = {"portable", "bmi2", "avx2", "avx512"};
  for (std::size_t p = 0; p < 4; ++p) {
    // A path the CPU lacks silently runs the portable one; say which ran.
    INFO(names[p] << (filter::lookup_path_supported(paths[p]) ? " runs natively" : " falls back"));
  }
  CHECK(filter::lookup_path_supported(filter::best_lookup_path()));
  random_fingerprints source(4242);
  // Every probe count has its own instantiated kernel in every family: check
  // each, on a filter full enough that most lookups find some probes set and
  // fail on others (the SIMD kernels test probes in lanes of 4 and 8).
  for (unsigned probes = 1; probes <= 16; ++probes) {
    CAPTURE(probes);
    auto f = filter::with_geometry(64, probes, 0);
    REQUIRE(f.has_value());
    // Fill the bits to a fraction f with f^k = 0.3, so that about 30% of fresh
    // fingerprints are false positives and most negatives have some probes set.
    const double fill = std::pow(0.3, 1.0 / probes);
    const auto count = static_cast<std::size_t>(-std::log1p(-fill) * 64 * 512 / probes);
    const std::vector<fingerprint> inserted = source.take(count);
    for (const fingerprint& fp : inserted)
      f->insert(fp);
    std::vector<fingerprint> mix = source.take(4000);
    mix.insert(mix.end(), inserted.begin(), inserted.end());
    std::vector<std::unique_ptr<bool[]>> batch;
    for (const path p : paths) {
      batch.push_back(std::make_unique<bool[]>(mix.size()));
      f->may_contain_batch(mix, std::span<bool>(batch.back().get(), mix.size()), p);
    }
    std::size_t disagreements = 0;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < mix.size(); ++i) {
      const bool expected = f->may_contain(mix[i], path::portable);
      positives += expected ? 1 : 0;
      bool agree = f->may_contain(mix[i]) == expected;
      for (std::size_t p = 0; p < 4; ++p)
        agree = agree && batch[p][i] == expected && f->may_contain(mix[i], paths[p]) == expected;
      disagreements += agree ? 0 : 1;
    }
    CHECK(disagreements == 0);
    // Both answers occur in numbers, so agreement is not trivially "all true"
    // or "all false".
    CHECK(positives >= inserted.size());
    CHECK(positives - inserted.size() >= 100);
    CHECK(positives < mix.size() - 1000);
  }
}

TEST_CASE("insert_batch sets the same bits and count as single inserts", "[bloom]") {
  random_fingerprints source(555);
  for (unsigned probes = 1; probes <= 16; ++probes) {
    CAPTURE(probes);
    auto one_by_one = filter::with_geometry(300, probes, 9);
    auto batched = filter::with_geometry(300, probes, 9);
    REQUIRE(one_by_one.has_value());
    REQUIRE(batched.has_value());
    // Longer than the prefetch distance, and not a multiple of it; includes a
    // repeated fingerprint, which counts twice like insert() does.
    std::vector<fingerprint> items = source.take(1001);
    items.push_back(items[3]);
    for (const fingerprint& fp : items)
      one_by_one->insert(fp);
    batched->insert_batch(std::span<const fingerprint>(items).first(37));
    batched->insert_batch(std::span<const fingerprint>(items).subspan(37));
    batched->insert_batch({});
    CHECK(batched->item_count() == items.size());
    CHECK(batched->serialize() == one_by_one->serialize());
  }
}

TEST_CASE("with_items builds the same filter as with_capacity plus inserts", "[bloom]") {
  random_fingerprints source(808);
  std::vector<fingerprint> items = source.take(20'000);
  items.push_back(items[0]);  // a repeat counts twice, as insert() counts it
  for (const double rate : {0.01, 0.001}) {
    CAPTURE(rate);
    // Sized by expected_items when that is larger, by the list otherwise.
    for (const std::uint64_t expected : {std::uint64_t{0}, std::uint64_t{50'000}}) {
      CAPTURE(expected);
      auto built = filter::with_items(items, expected, rate, 77);
      REQUIRE(built.has_value());
      filter reference = make_filter(std::max<std::uint64_t>(expected, items.size()), rate, 77);
      for (const fingerprint& fp : items)
        reference.insert(fp);
      CHECK(built->item_count() == items.size());
      CHECK(built->serialize() == reference.serialize());
    }
  }
  CHECK(filter::with_items({}, 0, 0.01, 1).error() == filter_errc::invalid_argument);
  CHECK(filter::with_items(items, 0, 1.5, 1).error() == filter_errc::invalid_argument);
  auto empty = filter::with_items({}, 10, 0.01, 1);
  REQUIRE(empty.has_value());
  CHECK(empty->item_count() == 0);
  CHECK_FALSE(empty->may_contain(items[0]));
}
