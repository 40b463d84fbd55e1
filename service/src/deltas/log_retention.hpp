// log_retention: one pass of change-log trimming. An entry is kept while it
// is among the newest log_retain_count or younger than log_retain_age;
// nothing at or after the oldest fresh published snapshot seq + 1 is ever
// trimmed (a client that loaded that snapshot must be able to poll from it),
// and without any fresh snapshot nothing is trimmed at all. Trimming is
// idempotent (store::trim_log), so several instances may run it.
//
// Thread-safety: a free coroutine on the caller's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>

#include "store/store.hpp"

namespace banlist::service {

struct retention_policy {
  std::uint64_t retain_count = 1'000'000;
  std::chrono::seconds retain_age{7 * 86400};
  std::chrono::milliseconds snapshot_freshness{600000};  // older snapshot records are ignored
};

// Trims once. Returns the oldest retained seq afterwards.
boost::asio::awaitable<store_result<std::uint64_t>> trim_change_log(store& s,
                                                                    retention_policy policy);

}  // namespace banlist::service
