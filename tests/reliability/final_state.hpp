// final_state: the readers a fault test judges with history_checker. Each
// returns the set of banned fingerprints as one part of the system sees it:
//   - redis_state: Redis itself, after checking that the parts one script
//     writes agree (log entries 1..seq with a running digest, the banned set
//     equal to the log's replay, bl:digest, each record's seq and status);
//   - checked_state: POST /v1/check on one banlistd instance;
//   - replica_state: an SDK replica built the partner's way (exact snapshot,
//     then deltas until up to date).
// Readers throw std::runtime_error when they cannot read at all.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "store/store.hpp"

namespace banlist::test {

struct redis_view {
  std::set<fingerprint> banned;
  std::uint64_t head = 0;
  std::vector<fingerprint> digests;   // the log's digest after each seq 1..head
  std::vector<std::string> problems;  // disagreements between the parts (must be empty)
};
redis_view redis_state(const service::redis_endpoint& endpoint);

struct check_view {
  std::set<fingerprint> banned;  // answered banned and confirmed
  std::size_t unconfirmed = 0;   // answered banned without Redis's confirmation
};
check_view checked_state(std::uint16_t port, const std::string& key,
                         const std::vector<fingerprint>& fps);

struct replica_view {
  std::set<fingerprint> banned;
  std::uint64_t seq = 0;
};
// Waits (up to 30 s) for a snapshot of the current epoch, then polls deltas
// until the replica is at `at_least` and up to date.
replica_view replica_state(std::uint16_t port, const std::string& key, std::uint64_t at_least);

}  // namespace banlist::test
