// libFuzzer target: decode_snapshot on arbitrary bytes must return a value or
// an error, never crash, leak, read out of bounds or allocate more than the
// input justifies. Whatever it accepts must re-encode to exactly the same
// bytes and, for an exact (fps) snapshot, seed a replica with its digest.
//
// Random bytes almost never carry valid checksums, so each input is also
// tried resealed: the embedded filter's checksum (kind filter) and then the
// container's, as docs/protocol.md (section 3) and docs/protocol.md (section 2) define them.
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "banlist/bloom/format.hpp"
#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace {

using namespace banlist::sdk;
namespace fmt = snapshot_format;

void check(bool condition) {
  if (!condition)
    std::abort();
}

// Writes XXH3-64 of bytes[begin, end) minus the 8 bytes at `field`, into `field`.
void reseal(std::vector<std::uint8_t>& bytes, std::size_t begin, std::size_t field) {
  std::vector<std::uint8_t> covered(bytes.begin() + static_cast<long>(begin),
                                    bytes.begin() + static_cast<long>(field));
  covered.insert(covered.end(), bytes.begin() + static_cast<long>(field + 8), bytes.end());
  const std::uint64_t sum = XXH3_64bits(covered.data(), covered.size());
  for (int b = 0; b < 8; ++b)
    bytes[field + b] = static_cast<std::uint8_t>(sum >> (8 * b));
}

void exercise(std::span<const std::uint8_t> bytes) {
  auto snap = decode_snapshot(bytes);
  if (!snap)
    return;
  const std::vector<std::uint8_t> original(bytes.begin(), bytes.end());
  if (snap->kind == snapshot_kind::fps) {
    check(!snap->filter.has_value());
    check(snap->entries.size() == snap->count);
    check(digest_of(snap->entries) == snap->digest);
    check(encode_snapshot_fps(snap->epoch, snap->seq, snap->digest, snap->seed, snap->entries) ==
          original);
    auto replica = replica_set::from_snapshot(*snap);
    check(replica.has_value() && replica->digest() == snap->digest &&
          replica->size() == snap->entries.size());
    check(replica->sorted_entries() == snap->entries);
  } else {
    check(snap->filter.has_value() && snap->entries.empty());
    check(snap->filter->item_count() == snap->count && snap->filter->seed() == snap->seed);
    check(encode_snapshot_filter(snap->epoch, snap->seq, snap->digest, *snap->filter) == original);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  exercise(bytes);
  if (size >= fmt::kHeaderBytes) {
    std::vector<std::uint8_t> resealed(bytes.begin(), bytes.end());
    if (resealed[fmt::kKindOffset] == static_cast<std::uint8_t>(snapshot_kind::filter) &&
        size >= fmt::kHeaderBytes + banlist::bloom::format::kHeaderBytes) {
      reseal(resealed, fmt::kHeaderBytes,
             fmt::kHeaderBytes + banlist::bloom::format::kChecksumOffset);
    }
    reseal(resealed, 0, fmt::kChecksumOffset);
    exercise(resealed);
  }
  return 0;
}
