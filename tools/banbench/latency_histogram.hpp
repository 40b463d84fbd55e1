// latency_histogram: log-linear buckets of latencies in nanoseconds (16
// sub-buckets per power of two, so a percentile is within ~6 % of the true
// value), fixed size, mergeable.
//
// Thread-safety: none; each connection keeps its own and they are merged at
// the end.
#pragma once

#include <array>
#include <cstdint>

namespace banlist::banbench {

class latency_histogram {
 public:
  void record(std::uint64_t ns) noexcept;
  void merge(const latency_histogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // Returns the upper bound of the bucket holding the q-quantile (0 < q <= 1),
  // capped at the largest value seen; 0 when empty.
  std::uint64_t quantile(double q) const noexcept;

 private:
  static constexpr int kSubBits = 4;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t upper_bound_of(int bucket) noexcept;

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace banlist::banbench
