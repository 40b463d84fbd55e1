#include "deltas/delta_poll.hpp"

#include <algorithm>

#include "deltas/delta_change.hpp"

namespace banlist::service {
namespace asio = boost::asio;

asio::awaitable<std::expected<sdk::delta_batch, poll_failure>> read_delta_batch(
    store& s, const change_window* recent, poll_request request) {
  using result = std::expected<sdk::delta_batch, poll_failure>;
  auto state = co_await s.log_state();
  if (!state)
    co_return result(std::unexpect, poll_failure{poll_errc::store_failed, 0, 1, state.error()});
  const std::uint64_t since = request.since;
  if (since > state->head) {
    co_return result(std::unexpect,
                     poll_failure{poll_errc::since_ahead, state->head, state->oldest, {}});
  }
  if (since + 1 < state->oldest) {
    co_return result(std::unexpect,
                     poll_failure{poll_errc::resync_required, state->head, state->oldest, {}});
  }
  sdk::delta_batch batch;
  batch.epoch = request.epoch;
  batch.from = since;
  batch.to = since;
  batch.head = state->head;
  if (since == state->head) {
    // Up to date: bl:digest was read atomically with bl:seq.
    batch.digest = state->digest;
    batch.min_wait_s = request.min_wait_s;
    co_return batch;
  }
  if (recent) {
    auto page = recent->read(request.epoch, since, request.limit, request.min_wait_s);
    // The window may trail Redis by the follower's few milliseconds, or lead
    // the MGET above by a change or two. A page it cuts short while Redis
    // already has more is not an answer: that would be a short page with
    // `more`, so the log below serves it whole.
    if (page && (page->changes.size() == request.limit || page->to >= state->head)) {
      page->head = std::max(state->head, page->head);
      page->more = page->to < page->head;
      page->min_wait_s = page->more ? 0 : request.min_wait_s;
      co_return *page;
    }
  }
  // One more than asked, so `more` is known without a second read.
  auto changes = co_await s.read_changes(since, request.limit + 1, std::chrono::milliseconds(0));
  if (!changes) {
    co_return result(std::unexpect, poll_failure{poll_errc::store_failed, state->head,
                                                 state->oldest, changes.error()});
  }
  if (changes->empty() || changes->front().seq != since + 1) {
    // Trimmed between the two reads (the log has one entry per seq).
    co_return result(std::unexpect,
                     poll_failure{poll_errc::resync_required, state->head, state->oldest, {}});
  }
  const std::size_t take = std::min(changes->size(), request.limit);
  batch.changes.reserve(take);
  for (std::size_t i = 0; i < take; ++i) {
    auto wire = to_delta_change((*changes)[i]);
    if (!wire) {
      co_return result(std::unexpect,
                       poll_failure{poll_errc::corrupt_log, state->head, state->oldest, {}});
    }
    batch.changes.push_back(*wire);
  }
  const change& last = (*changes)[take - 1];
  batch.to = last.seq;
  batch.digest = last.digest;
  // The log may have grown since the MGET: head covers what we saw.
  batch.head = std::max(state->head, changes->back().seq);
  batch.more = batch.to < batch.head;
  batch.min_wait_s = batch.more ? 0 : request.min_wait_s;
  co_return batch;
}

}  // namespace banlist::service
