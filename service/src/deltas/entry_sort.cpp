#include "deltas/entry_sort.hpp"

#include <algorithm>
#include <span>
#include <thread>

namespace banlist::service {
namespace {

// Sorts by fingerprint with a two-level MSD radix sort. Fingerprints are
// uniform hashes, so the top 11 bits cut the list into 2,048 buckets of
// nearly equal size (about 5,000 entries, 120 KB at 10M: they fit in L2),
// and the next 11 bits cut each bucket into runs of two or three entries
// that insertion sort finishes. The buckets are independent, so the second
// level runs on two threads. At 10M entries this is several times faster
// than one std::sort (docs/benchmarks.md).
constexpr unsigned kRadixBits = 11;
constexpr std::size_t kRadix = std::size_t{1} << kRadixBits;

std::size_t digit(const banned_entry& e, unsigned level) noexcept {
  return (e.fp.high >> (64 - kRadixBits * (level + 1))) & (kRadix - 1);
}

// Moves `in` into `out` (same size) grouped by digit `level`; returns the
// group boundaries (kRadix + 1 offsets into `out`).
std::vector<std::size_t> scatter(std::span<const banned_entry> in, std::span<banned_entry> out,
                                 unsigned level) {
  std::vector<std::size_t> start(kRadix + 1, 0);
  for (const auto& e : in)
    ++start[digit(e, level) + 1];
  for (std::size_t d = 0; d < kRadix; ++d)
    start[d + 1] += start[d];
  std::vector<std::size_t> next(start.begin(), start.end() - 1);
  for (const auto& e : in)
    out[next[digit(e, level)]++] = e;
  return start;
}

// Sorts one top-level bucket in place, using `scratch` for the second level.
void sort_bucket(std::span<banned_entry> bucket, std::vector<banned_entry>& scratch) {
  if (bucket.size() < 64) {
    std::sort(bucket.begin(), bucket.end(),
              [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
    return;
  }
  scratch.resize(bucket.size());
  const auto start = scatter(bucket, scratch, 1);
  std::copy(scratch.begin(), scratch.end(), bucket.begin());
  for (std::size_t d = 0; d < kRadix; ++d) {
    // Runs are tiny; insertion sort is the fastest finish.
    for (std::size_t i = start[d] + 1; i < start[d + 1]; ++i) {
      const banned_entry e = bucket[i];
      std::size_t j = i;
      for (; j > start[d] && fp_less(e.fp, bucket[j - 1].fp); --j)
        bucket[j] = bucket[j - 1];
      bucket[j] = e;
    }
  }
}

}  // namespace

void sort_by_fingerprint(std::vector<banned_entry>& entries) {
  if (entries.size() < 4 * kRadix) {
    std::sort(entries.begin(), entries.end(),
              [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
    return;
  }
  std::vector<banned_entry> sorted(entries.size());
  const auto start = scatter(entries, sorted, 0);
  auto sort_range = [&](std::size_t first_bucket, std::size_t last_bucket) {
    std::vector<banned_entry> scratch;
    for (std::size_t b = first_bucket; b < last_bucket; ++b)
      sort_bucket(std::span(sorted).subspan(start[b], start[b + 1] - start[b]), scratch);
  };
  {
    std::jthread helper(sort_range, kRadix / 2, kRadix);
    sort_range(0, kRadix / 2);
  }
  entries.swap(sorted);
}

}  // namespace banlist::service
