// fingerprint_table: an exact set of 128-bit fingerprints, each with a type
// and a reason byte, in 18 bytes per slot. It is the replica-mode store (the
// whole list) and, in filter mode, the exact sets of changes since the
// snapshot.
//
// Layout: ordered linear probing ("Robin Hood" with the tie broken by key).
// A fingerprint's home slot is (high * bucket_count) >> 64, which is
// monotone in the fingerprint, so the occupied slots are in strictly
// ascending fingerprint order and every entry sits at or after its home
// with no empty slot in between. Hence:
//   - a lookup starts at the home slot and stops at the first empty slot or
//     larger key: at load 0.85-0.93 that is a handful of consecutive slots
//     (2.05 cache lines on average at the build load, measured with
//     lines_read; one line for 30% of lookups), for hits and misses alike;
//   - a sorted list (an exact snapshot) is placed in one linear pass;
//   - the table iterates in ascending order (what an exact snapshot needs).
// The bucket count is any integer (no power of two), so the load factor, and
// with it the memory per entry (18 / load bytes), stays in a narrow band.
// Slots past the last bucket absorb entries pushed off the end.
//
// Thread-safety: none; the owner (local_replica) guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::sdk::detail {

class fingerprint_table {
 public:
  static constexpr std::size_t kSlotBytes = 18;
  // Load factor a table is built at, and the one at which insert() reports
  // that it needs a rebuild.
  static constexpr double kBuildLoad = 0.85;
  static constexpr double kMaxLoad = 0.93;

  struct value {
    std::uint8_t type = 0;  // never 0 in a stored entry (0 marks an empty slot)
    std::uint8_t reason = 0;
  };

  enum class insert_result { inserted, present, full };

  fingerprint_table() = default;
  fingerprint_table(fingerprint_table&&) noexcept = default;
  fingerprint_table& operator=(fingerprint_table&&) noexcept = default;

  // Returns a table holding `count` entries produced by next(i) for i in
  // [0, count), which must give strictly ascending fingerprints with a
  // non-zero type, sized for max(count, min_capacity) at kBuildLoad.
  template <typename Next>
  static fingerprint_table from_sorted(std::size_t count, std::size_t min_capacity, Next&& next);

  // Returns a copy of this table sized for max(size() + extra, ...) at kBuildLoad.
  fingerprint_table rebuilt(std::size_t extra) const;

  // Looks fp up; on a hit stores its value in *out.
  bool find(const fingerprint& fp, value* out) const noexcept;

  // Lines a lookup's scan covers, counted from the home slot's first line:
  // at the build load a scan reads 3.8 slots (68 bytes) on average and ends
  // within 2 lines for 76% of lookups, 3 lines for 92% (simulated for 1M
  // and 10M random fingerprints; see docs/decisions.md).
  static constexpr std::size_t kScanLines = 3;

  // Asks the CPU to start loading the first `lines` cache lines of fp's
  // scan, so that the misses of a batch of lookups (or the two or three of
  // one lookup) overlap instead of being paid one after another.
  void prefetch(const fingerprint& fp, std::size_t lines = kScanLines) const noexcept {
    if (slot_count_ == 0)
      return;
    const std::uintptr_t first =
        reinterpret_cast<std::uintptr_t>(at(home(fp.high))) & ~std::uintptr_t{63};
    const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(at(slot_count_)) - 1;
    for (std::size_t i = 0; i < lines && first + i * 64 <= last; ++i)
      __builtin_prefetch(reinterpret_cast<const void*>(first + i * 64));
  }

  // What check_many prefetched before kScanLines: the home slot alone (its
  // first and last byte, one or two lines).
  void prefetch_home_slot(const fingerprint& fp) const noexcept {
    if (slot_count_ == 0)
      return;
    const std::uint8_t* slot = at(home(fp.high));
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + kSlotBytes - 1);
  }

  // Whether find() and local_replica::check_many prefetch the scan's lines
  // (the default) or only what they did before (find: nothing; check_many:
  // the home slot). Fixed when a table is made from the process-wide
  // default (force_home_slot_prefetch) and kept by rebuilt(), so that the
  // benchmark can measure both in one run; never changed in production.
  bool prefetches_scan() const noexcept { return prefetch_scan_; }

  // How many distinct 64-byte lines find(fp) reads (0 for an empty table):
  // from the home slot to the slot where the scan stops. For measurement.
  std::size_t lines_read(const fingerprint& fp) const noexcept;

  // Adds fp. Returns present (nothing changed) or full: the table must be
  // rebuilt (rebuilt(n)) before this insert can succeed.
  insert_result insert(const fingerprint& fp, value v) noexcept;

  // Removes fp. Returns whether it was present.
  bool erase(const fingerprint& fp) noexcept;

  // Whether `extra` more inserts keep the load at or below kMaxLoad.
  bool has_room_for(std::size_t extra) const noexcept {
    return static_cast<double>(size_ + extra) <= kMaxLoad * static_cast<double>(buckets_);
  }

  // Calls f(fp, value) for every entry, ascending.
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < slot_count_; ++i)
      if (!empty(i))
        f(key(i), value_at(i));
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t slot_count() const noexcept { return slot_count_; }
  std::size_t memory_bytes() const noexcept { return slot_count_ * kSlotBytes; }

 private:
  static constexpr std::size_t kSlack = 64;  // slots past the last bucket

  std::size_t home(std::uint64_t high) const noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::size_t>((static_cast<u128>(high) * buckets_) >> 64);
  }
  std::uint8_t* at(std::size_t i) const noexcept { return slots_.get() + i * kSlotBytes; }
  bool empty(std::size_t i) const noexcept { return at(i)[16] == 0; }
  fingerprint key(std::size_t i) const noexcept {
    fingerprint fp;
    std::memcpy(&fp.high, at(i), 8);
    std::memcpy(&fp.low, at(i) + 8, 8);
    return fp;
  }
  value value_at(std::size_t i) const noexcept { return {at(i)[16], at(i)[17]}; }
  void store(std::size_t i, const fingerprint& fp, value v) noexcept {
    std::memcpy(at(i), &fp.high, 8);
    std::memcpy(at(i) + 8, &fp.low, 8);
    at(i)[16] = v.type;
    at(i)[17] = v.reason;
  }

  static std::size_t buckets_for(std::size_t count) noexcept {
    const auto b = static_cast<std::size_t>(static_cast<double>(count) / kBuildLoad) + 1;
    return b < 16 ? 16 : b;
  }
  void allocate(std::size_t buckets, std::size_t slots);

  struct free_deleter {
    void operator()(std::uint8_t* p) const noexcept;
  };
  std::unique_ptr<std::uint8_t[], free_deleter> slots_;
  std::size_t buckets_ = 0;
  std::size_t slot_count_ = 0;
  std::size_t size_ = 0;
  bool prefetch_scan_ = default_prefetch_scan();

  bool find_in_scan(const fingerprint& fp, value* out) const noexcept;
  static bool default_prefetch_scan() noexcept;
};

// Benchmark hook: tables made while `on` is true prefetch as before
// (fingerprint_table::prefetches_scan() is false). Not for production.
void force_home_slot_prefetch(bool on) noexcept;

template <typename Next>
fingerprint_table fingerprint_table::from_sorted(std::size_t count, std::size_t min_capacity,
                                                 Next&& next) {
  fingerprint_table table;
  table.buckets_ = buckets_for(count > min_capacity ? count : min_capacity);
  // First pass: where the last entry lands, which bounds the slot count.
  std::size_t end = 0;  // one past the previous entry's slot
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t h = table.home(next(i).first.high);
    end = (h > end ? h : end) + 1;
  }
  const std::size_t needed = (end > table.buckets_ ? end : table.buckets_) + kSlack;
  table.allocate(table.buckets_, needed);
  end = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto [fp, v] = next(i);
    const std::size_t h = table.home(fp.high);
    const std::size_t pos = h > end ? h : end;
    table.store(pos, fp, v);
    end = pos + 1;
  }
  table.size_ = count;
  return table;
}

}  // namespace banlist::sdk::detail
