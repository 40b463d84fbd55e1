#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace banlist::banbench {

int latency_histogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < (1u << kSubBits))
    return static_cast<int>(ns);
  const int top = 63 - std::countl_zero(ns);  // >= kSubBits
  const int shift = top - kSubBits;
  const int sub = static_cast<int>((ns >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

std::uint64_t latency_histogram::upper_bound_of(int bucket) noexcept {
  const int group = bucket >> kSubBits;
  const std::uint64_t sub = static_cast<std::uint64_t>(bucket & ((1 << kSubBits) - 1));
  if (group == 0)
    return sub;
  const int shift = group - 1;
  return (((1ull << kSubBits) | sub) << shift) + ((1ull << shift) - 1);
}

void latency_histogram::record(std::uint64_t ns) noexcept {
  ++buckets_[static_cast<std::size_t>(bucket_of(ns))];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t latency_histogram::quantile(double q) const noexcept {
  if (count_ == 0)
    return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)];
    if (seen >= std::max<std::uint64_t>(rank, 1))
      return std::min(upper_bound_of(b), max_);
  }
  return max_;
}

}  // namespace banlist::banbench
