#include "deltas/change_window.hpp"

#include <algorithm>
#include <mutex>

#include "deltas/delta_change.hpp"

namespace banlist::service {

// The ring is allocated on the first append, so a capacity of 0 (disabled)
// or an idle instance costs nothing.
change_window::change_window(std::size_t capacity) : capacity_(capacity) {}

void change_window::append(std::uint64_t epoch, const std::vector<change>& changes) {
  if (capacity_ == 0)
    return;
  std::unique_lock lock(mutex_);
  if (ring_.size() != capacity_)
    ring_.resize(capacity_);
  for (const change& c : changes) {
    const auto wire = to_delta_change(c);
    const bool continues = epoch == epoch_ && last_ >= first_ && c.seq == last_ + 1;
    if (!continues) {
      epoch_ = epoch;
      first_ = c.seq;
      last_ = c.seq - 1;
    }
    if (!wire) {
      // Not representable: restart after it, so no answer spans it.
      first_ = c.seq + 1;
      last_ = c.seq;
      continue;
    }
    ring_[c.seq % capacity_] = entry{*wire, c.digest};
    last_ = c.seq;
    if (last_ - first_ + 1 > capacity_)
      first_ = last_ - capacity_ + 1;
  }
}

void change_window::clear() {
  std::unique_lock lock(mutex_);
  first_ = 1;
  last_ = 0;
}

const change_window::entry& change_window::at(std::uint64_t seq) const {
  return ring_[seq % capacity_];
}

std::optional<sdk::delta_batch> change_window::read(std::uint64_t epoch, std::uint64_t since,
                                                    std::size_t limit,
                                                    std::uint32_t min_wait_s) const {
  if (limit == 0 || capacity_ == 0)
    return std::nullopt;
  std::shared_lock lock(mutex_);
  if (epoch != epoch_ || last_ < first_ || since + 1 < first_ || since >= last_)
    return std::nullopt;
  sdk::delta_batch batch;
  batch.epoch = epoch;
  batch.from = since;
  batch.to = std::min<std::uint64_t>(last_, since + limit);
  batch.head = last_;
  batch.more = batch.to < batch.head;
  batch.min_wait_s = batch.more ? 0 : min_wait_s;
  batch.digest = at(batch.to).digest;
  batch.changes.reserve(batch.to - since);
  for (std::uint64_t seq = since + 1; seq <= batch.to; ++seq)
    batch.changes.push_back(at(seq).change);
  return batch;
}

std::uint64_t change_window::first_seq() const {
  std::shared_lock lock(mutex_);
  return first_;
}

std::uint64_t change_window::last_seq() const {
  std::shared_lock lock(mutex_);
  return last_;
}

}  // namespace banlist::service
