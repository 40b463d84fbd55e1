// expiry_sweeper: lifts bans whose expires_at has passed (issue 7). Every
// banlistd runs the loop; each pass reads the due fingerprints from the
// bl:expiry index and runs the expire script on each, which re-checks
// status == banned and expires_at <= now (Redis's clock) in the same atomic
// run as the lift — so however many instances sweep at once, each ban is
// lifted exactly once, as a normal lift delta (reason `expired`, actor
// `system`).
//
// Thread-safety: free coroutines on the caller's executor; the store is
// thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>

#include "store/store.hpp"

namespace banlist::service {

class service_state;

struct sweep_result {
  std::size_t examined = 0;  // due entries read from the index
  std::size_t lifted = 0;    // lifted by this pass (others: lifted elsewhere, or not due)
};

// One pass: everything due at `now_s` (unix s), in batches of `batch`.
boost::asio::awaitable<store_result<sweep_result>> sweep_expired(store& s, std::int64_t now_s,
                                                                 std::size_t batch = 500);

// Sweeps every config().expiry_interval until the state shuts down.
boost::asio::awaitable<void> run_expiry_sweeper(service_state& state);

}  // namespace banlist::service
