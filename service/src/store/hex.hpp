// hex: raw bytes as the lowercase hex they stand for. One place for what
// key hashes, random ids, packed key ids and audit parts all print.
#pragma once

#include <string>
#include <string_view>

namespace banlist::service {

inline std::string hex_of_bytes(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  return hex;
}

}  // namespace banlist::service
