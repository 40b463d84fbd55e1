// Fuzzes identifier normalization. The first byte picks the type, the rest is
// the value. normalize must not crash; what it accepts must normalize to
// itself again (idempotence), and mask and fingerprint_of must take it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "banlist/sdk/identifier.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "normalize_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  using banlist::sdk::identifier_type;
  const auto type = static_cast<identifier_type>(data[0] % 8 + 1);
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto first = banlist::sdk::normalize(type, value);
  if (!first) {
    if (first.error().rule.empty() || first.error().type != type)
      fail("malformed error");
    return 0;
  }
  const auto second = banlist::sdk::normalize(type, *first);
  if (!second)
    fail("normalized output is rejected when normalized again");
  if (*second != *first)
    fail("normalize is not idempotent");
  const std::string masked = banlist::sdk::mask(type, *first);
  if (masked.empty())
    fail("empty mask");
  (void)banlist::sdk::fingerprint_of(type, *first, 0x0123456789abcdefULL);
  return 0;
}
