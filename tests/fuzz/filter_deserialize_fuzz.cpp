// libFuzzer target: filter::deserialize on arbitrary bytes must return a value
// or an error, never crash, leak or read out of bounds. Whatever it accepts
// must behave as a filter and serialize back to exactly the same bytes.
//
// Random bytes almost never carry a valid checksum, so each input is also
// tried "resealed" (checksum recomputed as docs/protocol.md (section 2) defines
// it); that lets the fuzzer reach the geometry checks and the accepted path.
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/format.hpp"

namespace {

namespace format = banlist::bloom::format;

void check(bool condition) {
  if (!condition)
    std::abort();
}

void exercise(std::span<const std::uint8_t> bytes) {
  auto read = banlist::bloom::filter::deserialize(bytes);
  if (!read)
    return;
  banlist::bloom::filter& f = *read;
  check(f.byte_size() + format::kHeaderBytes == bytes.size());
  check(f.probe_count() >= 1 && f.probe_count() <= 16);

  // Lookups with fingerprints taken from the input itself, single and batch.
  std::vector<banlist::fingerprint> probes;
  for (std::size_t i = 0; i + 16 <= bytes.size() && probes.size() < 64; i += 16) {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    for (int b = 0; b < 8; ++b) {
      high |= std::uint64_t{bytes[i + b]} << (8 * b);
      low |= std::uint64_t{bytes[i + 8 + b]} << (8 * b);
    }
    probes.push_back({high, low});
  }
  auto single = std::make_unique<bool[]>(probes.size() + 1);
  f.may_contain_batch(probes, std::span<bool>(single.get(), probes.size()));
  for (std::size_t i = 0; i < probes.size(); ++i)
    check(single[i] == f.may_contain(probes[i]));
  (void)f.estimated_false_positive_rate();

  // Canonical encoding: accepted bytes re-serialize to themselves.
  check(f.serialize() == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));

  // Still a working filter: inserted items are found, the round trip holds.
  for (const auto& fp : probes)
    f.insert(fp);
  for (const auto& fp : probes)
    check(f.may_contain(fp));
  const std::vector<std::uint8_t> again = f.serialize();
  auto reread = banlist::bloom::filter::deserialize(again);
  check(reread.has_value());
  check(reread->serialize() == again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  exercise(bytes);
  if (size >= format::kHeaderBytes) {
    std::vector<std::uint8_t> resealed(bytes.begin(), bytes.end());
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    XXH3_64bits_update(state, resealed.data(), format::kChecksumOffset);
    XXH3_64bits_update(state, resealed.data() + format::kHeaderBytes,
                       resealed.size() - format::kHeaderBytes);
    const std::uint64_t sum = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    for (int b = 0; b < 8; ++b) {
      resealed[format::kChecksumOffset + b] = static_cast<std::uint8_t>(sum >> (8 * b));
    }
    exercise(resealed);
  }
  return 0;
}
