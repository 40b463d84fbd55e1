#include "filter_state.hpp"

namespace banlist::service {

void filter_state::install(bloom::filter built, std::uint64_t capacity, std::uint64_t seq) {
  current_.store(std::make_shared<built_filter>(built_filter{std::move(built), capacity}),
                 std::memory_order_release);
  lifted_.store(0, std::memory_order_relaxed);
  builds_.fetch_add(1, std::memory_order_relaxed);
  seq_.store(seq, std::memory_order_release);
  loaded_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(regression_mutex_);
    resyncing_ = false;  // a fresh filter from Redis ends any resync
  }
  seq_advanced_.notify(seq);
}

void filter_state::note_regression(std::string reason) {
  regressions_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(regression_mutex_);
  resyncing_ = true;
  last_regression_ = std::move(reason);
}

std::optional<std::string> filter_state::resyncing() const {
  std::lock_guard lock(regression_mutex_);
  if (!resyncing_)
    return std::nullopt;
  return last_regression_;
}

std::string filter_state::last_regression() const {
  std::lock_guard lock(regression_mutex_);
  return last_regression_;
}

void filter_state::advance_seq(std::uint64_t seq) noexcept {
  std::uint64_t now = seq_.load(std::memory_order_relaxed);
  while (now < seq && !seq_.compare_exchange_weak(now, seq, std::memory_order_acq_rel)) {
  }
  seq_advanced_.notify(seq);
}

void filter_state::insert(const fingerprint& fp) noexcept {
  auto f = current_.load(std::memory_order_acquire);
  if (!f)
    return;
  if (!f->filter.may_contain(fp))
    f->filter.insert(fp);
}

bool filter_state::may_contain(const fingerprint& fp) const noexcept {
  auto f = current_.load(std::memory_order_acquire);
  // Not loaded: we know nothing, so everything is a candidate.
  return !f || f->filter.may_contain(fp);
}

void filter_state::may_contain_batch(std::span<const fingerprint> fps,
                                     std::span<bool> out) const noexcept {
  auto f = current_.load(std::memory_order_acquire);
  if (!f) {
    for (std::size_t i = 0; i < fps.size() && i < out.size(); ++i)
      out[i] = true;
    return;
  }
  f->filter.may_contain_batch(fps, out);
}

bool filter_state::needs_rebuild() const noexcept {
  auto f = current_.load(std::memory_order_acquire);
  if (!f)
    return false;
  const std::uint64_t items = f->filter.item_count();
  const std::uint64_t lifted = lifted_.load(std::memory_order_relaxed);
  // A small floor on lifts keeps a tiny list from rebuilding on every lift;
  // stale entries only cost a Redis confirmation, never a wrong answer.
  return items > f->capacity || (lifted >= kMinLiftsForRebuild && lifted * 10 > items);
}

filter_state::stats filter_state::snapshot() const noexcept {
  stats s;
  s.loaded = loaded();
  s.seq = seq();
  s.lifted = lifted_.load(std::memory_order_relaxed);
  s.builds = builds_.load(std::memory_order_relaxed);
  if (auto f = current_.load(std::memory_order_acquire)) {
    s.items = f->filter.item_count();
    s.bits = f->filter.bit_count();
    s.bytes = f->filter.byte_size();
    s.capacity = f->capacity;
    s.estimated_fp_rate = f->filter.estimated_false_positive_rate();
  }
  return s;
}

}  // namespace banlist::service
