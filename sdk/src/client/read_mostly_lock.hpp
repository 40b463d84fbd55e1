// read_mostly_lock: a reader-writer lock for data that is read on every
// partner check (millions of times a second, from many threads) and written
// only when a delta batch arrives. It is a "distributed" lock: each reader
// announces itself on one of kSlots counters, chosen per thread and padded
// to their own cache lines, so two reading threads never write the same
// line; a writer raises a flag and waits until every counter is zero.
//
// Why not std::shared_mutex: its reader count is one shared cache line, and
// two threads incrementing it bounce that line between cores (~50-100 ns per
// check). Why not a seqlock: readers of a table that a writer may reallocate
// would need deferred reclamation (RCU) to be memory-safe; here a writer has
// the data to itself while it holds the lock, so it may grow, swap and free.
//
// Cost: a reader does two uncontended atomic read-modify-writes on its own
// line. A writer waits for the readers in flight and then excludes readers
// for as long as it holds the lock, so writers hold it briefly (the replica
// applies a batch in chunks). Writers are serialised by the caller.
//
// Thread-safety: lock_shared/unlock_shared from any number of threads;
// lock/unlock from one thread at a time (callers hold their own writer mutex).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace banlist::sdk::detail {

class read_mostly_lock {
 public:
  void lock_shared() const noexcept {
    std::atomic<std::uint64_t>& count = my_slot().count;
    for (;;) {
      // seq_cst on both sides (Dekker): either the writer sees our count or
      // we see its flag.
      count.fetch_add(1, std::memory_order_seq_cst);
      if (!writer_.load(std::memory_order_seq_cst))
        return;
      count.fetch_sub(1, std::memory_order_release);
      for (unsigned spins = 0; writer_.load(std::memory_order_relaxed); ++spins)
        backoff(spins);
    }
  }

  void unlock_shared() const noexcept { my_slot().count.fetch_sub(1, std::memory_order_release); }

  void lock() noexcept {
    writer_.store(true, std::memory_order_seq_cst);
    for (const slot& s : slots_)
      for (unsigned spins = 0; s.count.load(std::memory_order_acquire) != 0; ++spins)
        backoff(spins);
  }

  void unlock() noexcept { writer_.store(false, std::memory_order_release); }

 private:
  static constexpr std::size_t kSlots = 64;
  // 128 bytes: the adjacent-line prefetcher pairs 64-byte lines.
  struct alignas(128) slot {
    mutable std::atomic<std::uint64_t> count{0};
  };

  // Spin briefly, then give the core away: when there are more runnable
  // threads than cores, the thread we wait for may need this very core.
  static void backoff(unsigned spins) noexcept {
    if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

  static std::size_t thread_index() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return index;
  }

  slot& my_slot() const noexcept {
    return slots_[thread_index()];
  }

  mutable std::array<slot, kSlots> slots_{};
  std::atomic<bool> writer_{false};
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
