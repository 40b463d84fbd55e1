#include "sizing.hpp"

#include <array>
#include <cmath>

#include "banlist/bloom/layout.hpp"

namespace banlist::bloom::detail {
namespace {

// Sized filters aim this far below the target so that the measured rate, not
// just the model, meets it (the model treats bits as independent).
constexpr double kSafetyMargin = 0.95;
constexpr double kSaturatedLoad = 8.0 * static_cast<double>(kBlockBits);

// distinct[d] = probability that `probes` uniform positions in a 512-bit block
// cover exactly d distinct bits (a fingerprint's probes may collide).
std::array<double, kMaxProbes + 1> distinct_bit_distribution(unsigned probes) noexcept {
  std::array<double, kMaxProbes + 1> distinct{};
  distinct[0] = 1.0;
  constexpr double kBits = static_cast<double>(kBlockBits);
  for (unsigned i = 0; i < probes; ++i) {
    std::array<double, kMaxProbes + 1> next{};
    for (unsigned d = 0; d <= i; ++d) {
      next[d] += distinct[d] * (d / kBits);
      next[d + 1] += distinct[d] * ((kBits - d) / kBits);
    }
    distinct = next;
  }
  return distinct;
}

}  // namespace

double modeled_false_positive_rate(std::uint64_t items, std::uint64_t block_count,
                                   unsigned probes) noexcept {
  if (items == 0)
    return 0.0;
  const double load = static_cast<double>(items) / static_cast<double>(block_count);
  // Past 8 items per bit every block is saturated; also bounds the sum below.
  if (load > kSaturatedLoad)
    return 1.0;
  const auto distinct = distinct_bit_distribution(probes);
  const double log_load = std::log(load);
  const double spread = 12.0 * std::sqrt(load) + 30.0;
  const double first = std::max(0.0, std::floor(load - spread));
  const double last = std::ceil(load + spread);
  const double log_unset_per_probe = std::log1p(-1.0 / static_cast<double>(kBlockBits));
  double rate = 0.0;
  for (double j = first; j <= last; j += 1.0) {
    // Poisson(load) probability that a block holds j items.
    const double weight = std::exp(j * log_load - load - std::lgamma(j + 1.0));
    const double set_fraction = -std::expm1(j * probes * log_unset_per_probe);
    double hit = 0.0;
    double power = 1.0;
    for (unsigned d = 0; d <= probes; ++d) {
      hit += distinct[d] * power;
      power *= set_fraction;
    }
    rate += weight * hit;
  }
  return std::min(rate, 1.0);
}

std::expected<geometry, filter_errc> choose_geometry(std::uint64_t items, double rate) noexcept {
  if (items == 0 || !(rate > 0.0 && rate < 1.0)) {
    return std::unexpected(filter_errc::invalid_argument);
  }
  // Less than one bit per item can never reach a useful rate.
  if (items > kMaxBlocks * kBlockBits)
    return std::unexpected(filter_errc::too_large);
  const double goal = rate * kSafetyMargin;
  auto best_for = [items](std::uint64_t blocks) {
    geometry best{blocks, kMinProbes};
    double best_rate = 2.0;
    for (unsigned k = kMinProbes; k <= kMaxProbes; ++k) {
      const double r = modeled_false_positive_rate(items, blocks, k);
      if (r < best_rate) {
        best_rate = r;
        best.probes = k;
      }
    }
    return std::pair{best, best_rate};
  };
  if (best_for(kMaxBlocks).second > goal)
    return std::unexpected(filter_errc::too_large);
  // The best achievable rate falls as blocks are added: binary search the least.
  std::uint64_t lo = 1;
  std::uint64_t hi = kMaxBlocks;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (best_for(mid).second <= goal) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return best_for(lo).first;
}

}  // namespace banlist::bloom::detail
