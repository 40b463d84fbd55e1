#include "read_mostly_lock.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using banlist::sdk::detail::exclusive_write;
using banlist::sdk::detail::read_mostly_lock;
using banlist::sdk::detail::shared_read;

namespace {

// Two fields a writer changes one after the other; a reader holding the
// shared lock must always see them equal.
struct pair_state {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

struct outcome {
  std::uint64_t torn = 0;
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
};

outcome hammer(read_mostly_lock& lock, int readers, std::chrono::milliseconds duration) {
  pair_state data;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> torn{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      std::uint64_t local_reads = 0;
      std::uint64_t local_torn = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        shared_read guard(lock);
        const std::uint64_t a = data.a;
        // Give a writer that wrongly got in time to change the second field.
        for (int spin = 0; spin < 16; ++spin)
          std::atomic_signal_fence(std::memory_order_seq_cst);
        if (a != data.b)
          ++local_torn;
        ++local_reads;
      }
      torn += local_torn;
      reads += local_reads;
    });
  }
  std::uint64_t writes = 0;
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    exclusive_write guard(lock);
    ++data.a;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    ++data.b;
    ++writes;
  }
  stop = true;
  for (auto& t : threads)
    t.join();
  return {torn.load(), reads.load(), writes};
}

}  // namespace

TEST_CASE("read_mostly_lock: readers never see a writer's half-done change", "[sdk][client]") {
  for (const bool symmetric : {false, true}) {
    banlist::sdk::detail::force_symmetric_read_locks(symmetric);
    read_mostly_lock lock;
    banlist::sdk::detail::force_symmetric_read_locks(false);
    CAPTURE(symmetric, lock.asymmetric());
    CHECK(lock.asymmetric() == (!symmetric && banlist::sdk::detail::asymmetric_fence_available()));
    SECTION(symmetric ? "symmetric, 3 readers" : "default flavour, 3 readers") {
      const outcome o = hammer(lock, 3, std::chrono::milliseconds(300));
      CHECK(o.torn == 0);
      CHECK(o.reads > 0);
      CHECK(o.writes > 0);
    }
    SECTION(symmetric ? "symmetric, more readers than slots"
                      : "default flavour, more readers than slots") {
      // Threads past kSlots share the overflow counter.
      const outcome o = hammer(lock, static_cast<int>(read_mostly_lock::kSlots) + 6,
                               std::chrono::milliseconds(300));
      CHECK(o.torn == 0);
      CHECK(o.reads > 0);
      CHECK(o.writes > 0);
    }
  }
}

TEST_CASE("read_mostly_lock: a thread's slot is released when it exits", "[sdk][client]") {
  // 3 x kSlots short-lived reader threads, one after the other: each owns a
  // slot while it lives and gives it back when it exits, and the lock stays
  // balanced (a writer gets in after each of them).
  read_mostly_lock lock;
  {
    shared_read guard(lock);  // this thread owns its slot from now on
  }
  const std::size_t before = banlist::sdk::detail::owned_reader_slots();
  REQUIRE(before >= 1);
  for (std::size_t i = 0; i < 3 * read_mostly_lock::kSlots; ++i) {
    std::size_t during = 0;
    std::thread([&] {
      shared_read guard(lock);
      during = banlist::sdk::detail::owned_reader_slots();
    }).join();
    REQUIRE(during == before + 1);
    REQUIRE(banlist::sdk::detail::owned_reader_slots() == before);
    exclusive_write w(lock);  // would spin forever on an unbalanced counter
  }
}
