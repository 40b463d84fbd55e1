// libFuzzer target: the binary batch-check decoders (request, as banlistd
// reads it, and answer, as a client reads it) on arbitrary bytes must return
// a value or an error, never crash or read out of bounds; whatever they
// accept re-encodes to the same bytes (the format is canonical).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "banlist/sdk/check_binary.hpp"

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (auto fps = banlist::sdk::decode_check_request(bytes, 10000)) {
    const auto again = banlist::sdk::encode_check_request(*fps);
    check(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
  }
  if (auto results = banlist::sdk::decode_check_response(bytes)) {
    std::vector<std::uint8_t> again;
    banlist::sdk::encode_check_response(*results, again);
    check(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
  }
  return 0;
}
