// entry_sort: sorts banned entries by fingerprint, the order of every
// snapshot list and of the scan's runs (scan_runs.hpp).
//
// Thread-safety: a free function on the caller's vector; it may use one
// helper thread for large inputs.
#pragma once

#include <vector>

#include "store/store.hpp"

namespace banlist::service {

// Strict order on fingerprints (high word, then low).
inline bool fp_less(const fingerprint& a, const fingerprint& b) noexcept {
  return a.high != b.high ? a.high < b.high : a.low < b.low;
}

// Sorts ascending by fingerprint; equal fingerprints end up adjacent in
// no particular order. Needs a second buffer of the same size.
void sort_by_fingerprint(std::vector<banned_entry>& entries);

}  // namespace banlist::service
