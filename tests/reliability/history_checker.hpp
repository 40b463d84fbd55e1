// history_checker: a Jepsen-style judge of a fault test. Every client
// operation is recorded with its outcome (ok, failed, unknown); after the
// run, the final state read from Redis, from /v1/check on each instance or
// from an SDK replica is judged against what the operations allow:
//   - lost:    an acknowledged ban is missing (must be 0);
//   - phantom: a fingerprint is banned that no operation tried to ban (must be 0);
//   - wrong:   any other state no outcome explains (e.g. an acknowledged lift
//              that did not happen; must be 0);
//   - unknown operations may have landed either way and are only counted.
// "failed" means the server said nothing was changed (503 store_unavailable,
// 4xx); "unknown" is 503 outcome_unknown or a transport error.
//
// Thread-safety: record() may be called from any thread; judge() after the
// run.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::test {

enum class op_kind { ban, lift };
enum class op_outcome { ok, failed, unknown };

struct verdict {
  std::size_t acknowledged = 0;       // operations that ended ok
  std::size_t unknown = 0;            // operations that ended unknown
  std::size_t unknown_landed = 0;     // fingerprints whose unknown last op took effect
  std::size_t lost = 0;               // acknowledged bans missing
  std::size_t phantom = 0;            // banned but never attempted
  std::size_t wrong = 0;              // any other unexplained state
  std::vector<std::string> examples;  // a few of the problems, for the test log

  bool clean() const noexcept { return lost == 0 && phantom == 0 && wrong == 0; }
};

class history_checker {
 public:
  // Records one finished operation. Operations on one fingerprint must be
  // recorded in the order they were issued and must not overlap.
  void record(const fingerprint& fp, op_kind kind, op_outcome outcome);

  // Judges `banned`, the set of banned fingerprints some reader saw.
  verdict judge(const std::set<fingerprint>& banned) const;

  // Every fingerprint an operation touched.
  std::vector<fingerprint> attempted() const;
  // Fingerprints whose bans were acknowledged and never lifted afterwards.
  std::set<fingerprint> must_be_banned() const;

 private:
  struct op {
    op_kind kind;
    op_outcome outcome;
  };
  mutable std::mutex mutex_;
  std::map<fingerprint, std::vector<op>> ops_;  // guarded by mutex_
};

}  // namespace banlist::test
