// Apps, by package name (Android applicationId, iOS bundle id, HarmonyOS
// bundle name); see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {

result app(std::string_view value) {
  constexpr auto kType = identifier_type::app;
  constexpr std::size_t kMax = 255;
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (!is_ascii(value))
    return reject(kType, "non_ascii", "a package name is ASCII");
  if (value.size() > kMax) {
    return reject(kType, "length", "a package name has at most 255 characters");
  }
  std::string name = ascii_lower(value);
  std::size_t segments = 1;
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty)
        break;
      ++segments;
      segment_empty = true;
    } else if (is_ascii_lower(c) || is_ascii_digit(c) || c == '_' || c == '-') {
      segment_empty = false;
    } else {
      return reject(kType, "characters", "a package name allows letters, digits, '_', '-' and '.'");
    }
  }
  if (segment_empty) {
    return reject(kType, "segment", "a segment is empty (leading, trailing or double '.')");
  }
  if (segments < 2) {
    return reject(kType, "segment_count", "a package name has at least two segments (com.example)");
  }
  return name;
}

}  // namespace banlist::sdk::rules
