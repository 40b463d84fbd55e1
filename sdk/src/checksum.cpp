#include "checksum.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

namespace banlist::sdk::detail {

std::uint64_t checksum_except(std::span<const std::uint8_t> bytes,
                              std::size_t checksum_offset) noexcept {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), checksum_offset);
  XXH3_64bits_update(&state, bytes.data() + checksum_offset + 8,
                     bytes.size() - checksum_offset - 8);
  return XXH3_64bits_digest(&state);
}

}  // namespace banlist::sdk::detail
