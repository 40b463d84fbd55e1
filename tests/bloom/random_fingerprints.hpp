// Deterministic fingerprints for the bloom tests: splitmix64 from a fixed seed,
// so every run probes the same items and statistical bounds are reproducible.
#pragma once

#include <cstdint>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::bloom::test {

class random_fingerprints {
 public:
  explicit random_fingerprints(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next_u64() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  fingerprint next() {
    const std::uint64_t high = next_u64();
    return {high, next_u64()};
  }

  std::vector<fingerprint> take(std::size_t count) {
    std::vector<fingerprint> fps(count);
    for (auto& fp : fps)
      fp = next();
    return fps;
  }

 private:
  std::uint64_t state_;
};

}  // namespace banlist::bloom::test
