#include "read_mostly_lock.hpp"

#include <bitset>
#include <mutex>
#include <thread>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace banlist::sdk::detail {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

std::atomic<bool> g_force_symmetric{false};

bool register_membarrier() noexcept {
#if defined(__linux__) && defined(SYS_membarrier)
  if (kThreadSanitizer)
    return false;
  const long supported = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 ||
      (supported & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
    return false;
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
  return false;
#endif
}

// A full barrier on every running thread of this process (and this one).
void heavy_fence() noexcept {
#if defined(__linux__) && defined(SYS_membarrier)
  if (::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
    return;
#endif
  // Registered at start, so this is not expected; but a failed barrier must
  // not be taken for a successful one.
  std::abort();
}

std::mutex g_slots_mutex;
std::bitset<read_mostly_lock::kSlots> g_slots_taken;  // guarded by g_slots_mutex

void pause_or_yield(unsigned spins) noexcept {
  // Spin briefly, then give the core away: when there are more runnable
  // threads than cores, the thread we wait for may need this very core.
  if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

}  // namespace

bool asymmetric_fence_available() noexcept {
  static const bool available = register_membarrier();
  return available;
}

void force_symmetric_read_locks(bool force) noexcept {
  g_force_symmetric.store(force, std::memory_order_relaxed);
}

std::size_t owned_reader_slots() noexcept {
  std::lock_guard lock(g_slots_mutex);
  return g_slots_taken.count();
}

read_mostly_lock::read_mostly_lock() noexcept
    : asymmetric_(!g_force_symmetric.load(std::memory_order_relaxed) &&
                  asymmetric_fence_available()) {}

read_mostly_lock::slot_owner::slot_owner() noexcept : index(kOverflow) {
  std::lock_guard lock(g_slots_mutex);
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (!g_slots_taken[i]) {
      g_slots_taken[i] = true;
      index = i;
      return;
    }
  }
}

read_mostly_lock::slot_owner::~slot_owner() {
  // The thread holds no shared lock when it exits, so its counters are zero
  // in every lock and the next owner starts from zero.
  if (index == kOverflow)
    return;
  std::lock_guard lock(g_slots_mutex);
  g_slots_taken[index] = false;
}

void read_mostly_lock::wait_for_writer() const noexcept {
  for (unsigned spins = 0; writer_.load(std::memory_order_relaxed); ++spins)
    pause_or_yield(spins);
}

void read_mostly_lock::lock() noexcept {
  writer_.store(true, std::memory_order_seq_cst);
  if (asymmetric_)
    heavy_fence();  // pairs with the readers' compiler-only barrier
  for (const slot& s : slots_)
    for (unsigned spins = 0; s.count.load(std::memory_order_acquire) != 0; ++spins)
      pause_or_yield(spins);
  for (unsigned spins = 0; overflow_.count.load(std::memory_order_acquire) != 0; ++spins)
    pause_or_yield(spins);
}

}  // namespace banlist::sdk::detail
