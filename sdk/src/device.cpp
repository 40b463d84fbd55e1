// Device identifiers (IMEI, MEID, IDFA/IDFV, Android ID, OAID, vendor
// tokens): opaque, case-insensitive ASCII; see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {

result device(std::string_view value) {
  constexpr auto kType = identifier_type::device;
  constexpr std::size_t kMin = 4;
  constexpr std::size_t kMax = 128;
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (!is_ascii(value))
    return reject(kType, "non_ascii", "a device id is ASCII");
  if (value.size() < kMin || value.size() > kMax) {
    return reject(kType, "length", "a device id has 4 to 128 characters");
  }
  std::string id = ascii_lower(value);
  for (char c : id) {
    const bool ok = is_ascii_lower(c) || is_ascii_digit(c) ||
                    std::string_view("-._:+/=").find(c) != std::string_view::npos;
    if (!ok) {
      return reject(kType, "characters", "a device id allows letters, digits and - . _ : + / =");
    }
  }
  return id;
}

}  // namespace banlist::sdk::rules
