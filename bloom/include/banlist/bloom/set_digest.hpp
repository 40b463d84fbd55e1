// set_digest: an order-independent digest of a set of fingerprints, the XOR
// of all their 128-bit values (DESIGN.md "Versions, deltas, digest"). Banning
// an account toggles its fingerprint in, lifting toggles it out again, so two
// replicas that applied the same changes in any order hold the same digest.
// XOR is not collision-resistant against an adversary; it detects divergence
// between honest replicas (missed or doubled deltas).
//
// Plain value type: not synchronised; guard a shared one with its owner's lock.
#pragma once

#include <span>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::bloom {

struct set_digest {
  fingerprint value;  // {0, 0} for the empty set

  // Adds fp if absent, removes it if present (both are XOR).
  constexpr void toggle(const fingerprint& fp) noexcept {
    value.high ^= fp.high;
    value.low ^= fp.low;
  }

  // Returns the digest of a set given as a list of distinct fingerprints.
  static constexpr set_digest of(std::span<const fingerprint> fps) noexcept {
    set_digest digest;
    for (const fingerprint& fp : fps)
      digest.toggle(fp);
    return digest;
  }

  friend constexpr bool operator==(const set_digest&, const set_digest&) = default;
};

}  // namespace banlist::bloom
