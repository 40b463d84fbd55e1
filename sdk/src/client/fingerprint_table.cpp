#include "fingerprint_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace banlist::sdk::detail {
namespace {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kHugePageThreshold = std::size_t{4} << 20;

}  // namespace

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
  return from_sorted(size_, size_ + extra, [this, cursor](std::size_t i) mutable {
    if (i == 0)
      cursor = 0;
    while (empty(cursor))
      ++cursor;
    const std::size_t slot = cursor++;
    return std::pair{key(slot), value_at(slot)};
  });
}

bool fingerprint_table::find(const fingerprint& fp, value* out) const noexcept {
  if (size_ == 0)
    return false;
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
