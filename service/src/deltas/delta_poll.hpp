// delta_poll: reads one page of the change log for GET /v1/deltas and turns
// it into a wire batch (sdk/delta.hpp), never a silently partial one: `more`
// is true whenever changes after `to` exist, and a cursor the log can no
// longer serve (trimmed, or a gap appeared while reading) is an error, not a
// shorter answer.
//
// Thread-safety: a free coroutine; runs on the caller's executor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>

#include "banlist/sdk/delta.hpp"
#include "deltas/change_window.hpp"
#include "store/store.hpp"

namespace banlist::service {

enum class poll_errc : std::uint8_t {
  resync_required,  // since < oldest retained - 1: load a snapshot
  since_ahead,      // since > head
  store_failed,     // see `store`
  corrupt_log,      // a log entry the wire cannot carry
};

struct poll_failure {
  poll_errc code;
  std::uint64_t head = 0;
  std::uint64_t oldest = 1;
  std::optional<store_error> store;
};

struct poll_request {
  std::uint64_t epoch = 0;  // the list's epoch (the caller checked the client's)
  std::uint64_t since = 0;
  std::size_t limit = 1000;  // 1 .. kMaxBatchChanges
  std::uint32_t min_wait_s = 5;
};

// Returns the changes in (since, to] with `to` as far as `limit` allows.
// `digest` is the set digest at `to` (the log entry's, or the head's when
// the page is empty and since == head); min_wait_s is 0 when `more`.
// The cursor is always checked against Redis's head and oldest retained seq
// (one MGET); the page itself comes from `recent` (may be null) when it holds
// it, else from the log (XRANGE), so both paths give the same answer.
boost::asio::awaitable<std::expected<sdk::delta_batch, poll_failure>> read_delta_batch(
    store& s, const change_window* recent, poll_request request);

}  // namespace banlist::service
