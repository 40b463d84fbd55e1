// read_mostly_lock: a reader-writer lock for data that is read on every
// partner check (millions of times a second, from many threads) and written
// only when a delta batch arrives. It is a "distributed" lock: each reading
// thread announces itself on a counter of its own (one of kSlots, padded to
// their own cache lines and owned by one thread at a time), so two reading
// threads never write the same line; a writer raises a flag and waits until
// every counter is zero, then has the data to itself (it may grow, swap and
// free tables without deferred reclamation).
//
// Two flavours, chosen per lock when it is built:
//   - asymmetric (the default where Linux membarrier(2) with
//     PRIVATE_EXPEDITED is available): a reader does no atomic
//     read-modify-write and no fence, only a plain store to its own counter
//     and a load of the flag. The store-then-load order a Dekker handshake
//     needs is provided by the writer, which issues membarrier() after
//     raising the flag: every running thread of the process passes a full
//     barrier, so either the writer sees the reader's counter or the reader
//     sees the flag. This matters beyond the ~20 ns of two locked
//     instructions: a locked instruction waits for the loads before it, so
//     with the symmetric flavour two consecutive checks can never overlap
//     their cache misses; with the asymmetric one they can.
//   - symmetric (no membarrier, or ThreadSanitizer, which does not model it):
//     seq_cst read-modify-writes on the reader's counter, as before.
// Threads beyond kSlots concurrent readers share one overflow counter
// (symmetric protocol), so any number of threads is correct.
//
// Why not std::shared_mutex: one shared counter line bounced between reader
// cores. Why not a seqlock: readers of a table that a writer may reallocate
// would need deferred reclamation (RCU) to be memory-safe.
//
// Thread-safety: lock_shared/unlock_shared from any number of threads (not
// nested on one thread); lock/unlock from one thread at a time (callers hold
// their own writer mutex).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace banlist::sdk::detail {

// Whether membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is registered for
// this process (tried once). False under ThreadSanitizer.
bool asymmetric_fence_available() noexcept;

// Benchmarks and tests: locks built after this call use the symmetric
// flavour even where the asymmetric one is available (false restores it).
void force_symmetric_read_locks(bool force) noexcept;

// Tests: how many reader slots live threads own now.
std::size_t owned_reader_slots() noexcept;

class read_mostly_lock {
 public:
  read_mostly_lock() noexcept;

  bool asymmetric() const noexcept { return asymmetric_; }

  void lock_shared() const noexcept {
    const std::size_t i = reader_slot();
    if (asymmetric_ && i != kOverflow) {
      std::atomic<std::uint64_t>& count = slots_[i].count;
      for (;;) {
        // Only this thread writes this counter: a plain increment.
        count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        // Compiler barrier only; the writer's membarrier() orders the store
        // before the flag load on the hardware side.
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (!writer_.load(std::memory_order_acquire))
          return;
        count.store(count.load(std::memory_order_relaxed) - 1, std::memory_order_release);
        wait_for_writer();
      }
    }
    std::atomic<std::uint64_t>& count = i == kOverflow ? overflow_.count : slots_[i].count;
    for (;;) {
      // seq_cst on both sides (Dekker): either the writer sees our count or
      // we see its flag.
      count.fetch_add(1, std::memory_order_seq_cst);
      if (!writer_.load(std::memory_order_seq_cst))
        return;
      count.fetch_sub(1, std::memory_order_release);
      wait_for_writer();
    }
  }

  void unlock_shared() const noexcept {
    const std::size_t i = reader_slot();
    if (asymmetric_ && i != kOverflow) {
      std::atomic<std::uint64_t>& count = slots_[i].count;
      count.store(count.load(std::memory_order_relaxed) - 1, std::memory_order_release);
      return;
    }
    (i == kOverflow ? overflow_.count : slots_[i].count).fetch_sub(1, std::memory_order_release);
  }

  void lock() noexcept;
  void unlock() noexcept { writer_.store(false, std::memory_order_release); }

  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kOverflow = kSlots;

 private:
  // 128 bytes: the adjacent-line prefetcher pairs 64-byte lines.
  struct alignas(128) slot {
    mutable std::atomic<std::uint64_t> count{0};
  };

  // This thread's slot in [0, kSlots), owned until the thread exits, or
  // kOverflow when kSlots threads already own one.
  struct slot_owner {
    std::size_t index;
    slot_owner() noexcept;
    ~slot_owner();
    slot_owner(const slot_owner&) = delete;
    slot_owner& operator=(const slot_owner&) = delete;
  };
  static std::size_t reader_slot() noexcept {
    thread_local const slot_owner owner;
    return owner.index;
  }
  void wait_for_writer() const noexcept;

  mutable std::array<slot, kSlots> slots_{};
  mutable slot overflow_;
  std::atomic<bool> writer_{false};
  bool asymmetric_ = false;
};

// RAII guards.
class shared_read {
 public:
  explicit shared_read(const read_mostly_lock& lock) noexcept : lock_(lock) { lock_.lock_shared(); }
  ~shared_read() { lock_.unlock_shared(); }
  shared_read(const shared_read&) = delete;
  shared_read& operator=(const shared_read&) = delete;

 private:
  const read_mostly_lock& lock_;
};

class exclusive_write {
 public:
  explicit exclusive_write(read_mostly_lock& lock) noexcept : lock_(lock) { lock_.lock(); }
  ~exclusive_write() { lock_.unlock(); }
  exclusive_write(const exclusive_write&) = delete;
  exclusive_write& operator=(const exclusive_write&) = delete;

 private:
  read_mostly_lock& lock_;
};

}  // namespace banlist::sdk::detail
