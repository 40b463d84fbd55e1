#include "fingerprint_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace banlist::sdk::detail {
namespace {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kHugePageThreshold = std::size_t{4} << 20;

std::atomic<bool> g_home_slot_prefetch{false};

}  // namespace

void force_home_slot_prefetch(bool on) noexcept {
  g_home_slot_prefetch.store(on, std::memory_order_relaxed);
}

bool fingerprint_table::default_prefetch_scan() noexcept {
  return !g_home_slot_prefetch.load(std::memory_order_relaxed);
}

void fingerprint_table::allocate(std::size_t buckets, std::size_t slots) {
  buckets_ = buckets;
  slot_count_ = slots;
  // Large tables get 2 MiB-aligned memory with transparent huge pages
  // advised (Debian's default THP mode is madvise): a random lookup in a
  // 10M-ban table (~200 MB) otherwise pays a page walk on top of the cache
  // miss. Zeroed: every type byte is 0, every slot empty.
  std::size_t bytes = std::max<std::size_t>(slots * kSlotBytes, 1);
  std::size_t alignment = alignof(std::max_align_t);
  if (bytes >= kHugePageThreshold) {
    alignment = kHugePageBytes;
    bytes = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  } else {
    bytes = (bytes + alignment - 1) / alignment * alignment;
  }
  void* memory = std::aligned_alloc(alignment, bytes);
  if (memory == nullptr)
    throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (alignment == kHugePageBytes)
    ::madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  std::memset(memory, 0, bytes);
  slots_.reset(static_cast<std::uint8_t*>(memory));
}

void fingerprint_table::free_deleter::operator()(std::uint8_t* p) const noexcept {
  std::free(p);
}

fingerprint_table fingerprint_table::rebuilt(std::size_t extra) const {
  // The entries are already in order; from_sorted walks them twice (two
  // passes), each time from i = 0.
  std::size_t cursor = 0;
  auto table = from_sorted(size_, size_ + extra, [this, cursor](std::size_t i) mutable {
    if (i == 0)
      cursor = 0;
    while (empty(cursor))
      ++cursor;
    const std::size_t slot = cursor++;
    return std::pair{key(slot), value_at(slot)};
  });
  table.prefetch_scan_ = prefetch_scan_;
  return table;
}

bool fingerprint_table::find(const fingerprint& fp, value* out) const noexcept {
  if (size_ == 0)
    return false;
  // The scan crosses into a second line for 70% of lookups (a third for
  // 23%); asking for the second up front lets its miss overlap the first's
  // instead of following it. Two, not three: a third line's bandwidth costs
  // every lookup, its latency saves only one in four.
  if (prefetch_scan_)
    prefetch(fp, 2);
  return find_in_scan(fp, out);
}

bool fingerprint_table::find_in_scan(const fingerprint& fp, value* out) const noexcept {
  for (std::size_t i = home(fp.high); i < slot_count_; ++i) {
    if (empty(i))
      return false;
    const fingerprint k = key(i);
    if (k == fp) {
      *out = value_at(i);
      return true;
    }
    if (fp < k)
      return false;
  }
  return false;
}

std::size_t fingerprint_table::lines_read(const fingerprint& fp) const noexcept {
  if (size_ == 0)
    return 0;
  const std::size_t first = home(fp.high);
  std::size_t last = first;
  for (; last + 1 < slot_count_; ++last) {
    if (empty(last))
      break;
    const fingerprint k = key(last);
    if (!(k < fp))
      break;
  }
  const auto line = [this](std::size_t slot, std::size_t byte) {
    return (reinterpret_cast<std::uintptr_t>(at(slot)) + byte) / 64;
  };
  // Every slot read has its type byte (offset 16) read, and its key before it.
  return static_cast<std::size_t>(line(last, 16) - line(first, 0)) + 1;
}

fingerprint_table::insert_result fingerprint_table::insert(const fingerprint& fp,
                                                           value v) noexcept {
  if (slot_count_ == 0 || !has_room_for(1))
    return insert_result::full;
  std::size_t pos = home(fp.high);
  for (; pos < slot_count_ && !empty(pos); ++pos) {
    const fingerprint k = key(pos);
    if (k == fp)
      return insert_result::present;
    if (fp < k)
      break;
  }
  std::size_t hole = pos;
  while (hole < slot_count_ && !empty(hole))
    ++hole;
  if (hole == slot_count_)
    return insert_result::full;
  std::memmove(at(pos + 1), at(pos), (hole - pos) * kSlotBytes);
  store(pos, fp, v);
  ++size_;
  return insert_result::inserted;
}

bool fingerprint_table::erase(const fingerprint& fp) noexcept {
  if (size_ == 0)
    return false;
  std::size_t pos = home(fp.high);
  for (;; ++pos) {
    if (pos == slot_count_ || empty(pos))
      return false;
    const fingerprint k = key(pos);
    if (k == fp)
      break;
    if (fp < k)
      return false;
  }
  // Backward shift: pull each following displaced entry one slot closer to
  // its home, which keeps the order and leaves no hole before any entry.
  std::size_t next = pos + 1;
  while (next < slot_count_ && !empty(next) && home(key(next).high) < next)
    ++next;
  std::memmove(at(pos), at(pos + 1), (next - pos - 1) * kSlotBytes);
  std::memset(at(next - 1), 0, kSlotBytes);
  --size_;
  return true;
}

}  // namespace banlist::sdk::detail
