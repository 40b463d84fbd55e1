// libFuzzer target: decode_delta_log (the partner client's stored delta log)
// on arbitrary bytes must return a value or an error, never crash, leak,
// read out of bounds or allocate more than the input justifies. What it
// accepts must re-encode to the same bytes. Each input is also tried
// resealed (its checksum recomputed), or random bytes would never get past
// the checksum; docs/sdk.md defines the rule.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "banlist/sdk/client_state.hpp"

namespace {

using namespace banlist::sdk;
namespace fmt = delta_log_format;

void check(bool condition) {
  if (!condition)
    std::abort();
}

void reseal(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < fmt::kHeaderBytes)
    return;
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), fmt::kChecksumOffset);
  XXH3_64bits_update(&state, bytes.data() + fmt::kChecksumOffset + 8,
                     bytes.size() - fmt::kChecksumOffset - 8);
  const std::uint64_t sum = XXH3_64bits_digest(&state);
  std::memcpy(bytes.data() + fmt::kChecksumOffset, &sum, 8);  // little-endian host
}

void try_decode(std::span<const std::uint8_t> bytes) {
  auto log = decode_delta_log(bytes);
  if (!log)
    return;
  const auto again = encode_delta_log(*log);
  check(again.size() == bytes.size() && std::memcmp(again.data(), bytes.data(), bytes.size()) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  try_decode(input);
  std::vector<std::uint8_t> sealed(input.begin(), input.end());
  reseal(sealed);
  try_decode(sealed);
  return 0;
}
