#include "deltas/log_retention.hpp"

#include <algorithm>

namespace banlist::service {
namespace asio = boost::asio;

namespace {
constexpr std::size_t kAgeScanBatch = 1000;
constexpr std::size_t kAgeScanMax = 100000;  // per pass; the next pass goes on
}  // namespace

asio::awaitable<store_result<std::uint64_t>> trim_change_log(store& s, retention_policy policy) {
  auto state = co_await s.log_state();
  if (!state)
    co_return std::unexpected(std::move(state.error()));
  auto snapshot = co_await s.oldest_snapshot_seq(policy.snapshot_freshness);
  if (!snapshot)
    co_return std::unexpected(std::move(snapshot.error()));
  if (!*snapshot)
    co_return state->oldest;  // no snapshot to resync from: keep everything
  const std::uint64_t head = state->head;
  // Oldest seq the count rule keeps, and the snapshot bound.
  const std::uint64_t by_count =
      head >= policy.retain_count ? head - policy.retain_count + 1 : std::uint64_t{1};
  const std::uint64_t limit = std::min(by_count, **snapshot + 1);
  if (limit <= state->oldest)
    co_return state->oldest;
  // The age rule keeps entries younger than the cutoff: walk from the
  // oldest entry to the first young one (seqs are in time order).
  const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch() - policy.retain_age)
                          .count();
  std::uint64_t target = state->oldest;
  std::size_t scanned = 0;
  while (target < limit && scanned < kAgeScanMax) {
    auto batch = co_await s.read_changes(target - 1, kAgeScanBatch, std::chrono::milliseconds(0));
    if (!batch)
      co_return std::unexpected(std::move(batch.error()));
    if (batch->empty())
      break;
    bool young = false;
    for (const auto& c : *batch) {
      if (c.seq >= limit || c.at_ms >= cutoff) {
        young = true;
        break;
      }
      target = c.seq + 1;
    }
    scanned += batch->size();
    if (young || batch->size() < kAgeScanBatch)
      break;
  }
  target = std::min(target, limit);
  if (target <= state->oldest)
    co_return state->oldest;
  co_return co_await s.trim_log(target);
}

}  // namespace banlist::service
