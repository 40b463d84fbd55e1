// Test support: a random ban history — the list as a sorted map, the delta
// batches that lead through it and the snapshots of it — computed the way
// docs/protocol.md (section 3) defines them, to feed local_replica and
// stored_replica without a network. (The integration tests use banlistd.)
// Not thread-safe: one per test.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/delta.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::test {

class history {
 public:
  explicit history(std::uint64_t seed, std::uint64_t epoch = 0xfeedface12345678ULL)
      : rng_(seed), epoch_(epoch) {}

  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t seq() const { return seq_; }
  std::uint64_t fp_seed() const { return kFpSeed; }
  const fingerprint& digest() const { return digest_.value; }
  const std::map<fingerprint, sdk::snapshot_entry>& list() const { return list_; }

  fingerprint random_fp() { return {rng_(), rng_()}; }

  // A ban of a new random fingerprint, or of `fp`.
  sdk::delta_change ban(fingerprint fp, sdk::identifier_type type = sdk::identifier_type::phone,
                        sdk::ban_reason reason = sdk::ban_reason::telecom_fraud) {
    sdk::delta_change c{++seq_,
                        sdk::change_op::ban,
                        fp,
                        type,
                        static_cast<std::uint8_t>(reason),
                        1700000000000 + static_cast<std::int64_t>(seq_)};
    list_[fp] = {fp, type, reason};
    digest_.toggle(fp);
    return c;
  }
  sdk::delta_change lift(fingerprint fp) {
    const auto type = list_.at(fp).type;
    list_.erase(fp);
    digest_.toggle(fp);
    return {++seq_,
            sdk::change_op::lift,
            fp,
            type,
            static_cast<std::uint8_t>(sdk::lift_reason::appeal_granted),
            1700000000000 + static_cast<std::int64_t>(seq_)};
  }

  // A batch of `n` random changes from the current seq (lifts with
  // probability lift_share when the list is not empty).
  sdk::delta_batch random_batch(std::size_t n, double lift_share = 0.3) {
    sdk::delta_batch b;
    b.epoch = epoch_;
    b.from = seq_;
    std::bernoulli_distribution lift(lift_share);
    for (std::size_t i = 0; i < n; ++i) {
      if (!list_.empty() && lift(rng_)) {
        auto it = list_.lower_bound(random_fp());
        if (it == list_.end())
          it = list_.begin();
        b.changes.push_back(this->lift(it->first));
      } else {
        const auto type = static_cast<sdk::identifier_type>(1 + rng_() % 8);
        const auto reason = static_cast<sdk::ban_reason>(1 + rng_() % 14);
        b.changes.push_back(ban(random_fp(), type, reason));
      }
    }
    return seal(std::move(b));
  }

  // Completes a batch whose changes were made with ban()/lift().
  sdk::delta_batch seal(sdk::delta_batch b) {
    b.epoch = epoch_;
    b.to = seq_;
    b.head = seq_;
    b.digest = digest_.value;
    b.min_wait_s = 1;
    return b;
  }

  sdk::snapshot exact_snapshot() const {
    sdk::snapshot s;
    s.kind = sdk::snapshot_kind::fps;
    s.epoch = epoch_;
    s.seq = seq_;
    s.count = list_.size();
    s.digest = digest_.value;
    s.seed = kFpSeed;
    for (const auto& [fp, e] : list_)
      s.entries.push_back(e);
    return s;
  }
  std::vector<std::uint8_t> exact_snapshot_bytes() const {
    const auto s = exact_snapshot();
    return sdk::encode_snapshot_fps(s.epoch, s.seq, s.digest, s.seed, s.entries);
  }
  bloom::filter filter() const {
    std::vector<fingerprint> fps;
    for (const auto& [fp, e] : list_)
      fps.push_back(fp);
    return *bloom::filter::with_items(fps, fps.size() + 16, 0.001, kFpSeed);
  }
  std::vector<std::uint8_t> filter_snapshot_bytes() const {
    return sdk::encode_snapshot_filter(epoch_, seq_, digest_.value, filter());
  }
  sdk::snapshot filter_snapshot() const { return *sdk::decode_snapshot(filter_snapshot_bytes()); }

  // Fills the list with n random bans without emitting batches (a history
  // whose log the client never saw: start from a snapshot of it).
  void seed_list(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      (void)ban(random_fp(), static_cast<sdk::identifier_type>(1 + rng_() % 8),
                static_cast<sdk::ban_reason>(1 + rng_() % 14));
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  static constexpr std::uint64_t kFpSeed = 0x5eed;
  std::mt19937_64 rng_;
  std::uint64_t epoch_;
  std::uint64_t seq_ = 0;
  bloom::set_digest digest_;
  std::map<fingerprint, sdk::snapshot_entry> list_;
};

}  // namespace banlist::test
