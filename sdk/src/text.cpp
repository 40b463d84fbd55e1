// Text helpers and the error builder shared by the normalization rules.
#include <string>

#include "rules.hpp"

namespace banlist::sdk::rules {

std::unexpected<normalize_error> reject(identifier_type type, std::string_view rule,
                                        std::string_view detail) {
  std::string message;
  message.reserve(64 + detail.size());
  message.append("invalid ").append(to_string(type)).append(" (rule ").append(rule);
  message.append("): ").append(detail);
  return std::unexpected(normalize_error{type, std::string(rule), std::move(message)});
}

std::size_t input_cap(identifier_type type) noexcept {
  switch (type) {
    case identifier_type::phone:
    case identifier_type::id_card:
    case identifier_type::bank_card:
      return 64;
    case identifier_type::device:
      return 256;
    case identifier_type::email:
    case identifier_type::account:
    case identifier_type::domain:
    case identifier_type::app:
      return 512;
  }
  return 0;
}

bool is_ascii(std::string_view text) noexcept {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return false;
  }
  return true;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = to_ascii_lower(c);
  return out;
}

std::string_view trim_ascii_space(std::string_view text) noexcept {
  while (!text.empty() && is_ascii_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back()))
    text.remove_suffix(1);
  return text;
}

}  // namespace banlist::sdk::rules

namespace banlist::sdk::rules {

char32_t decode_utf8(std::string_view text, std::size_t& pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    ++pos;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    ++pos;
    return kBadUtf8;
  }
  if (text.size() - pos < length) {
    ++pos;
    return kBadUtf8;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if ((next & 0xc0) != 0x80) {
      ++pos;
      return kBadUtf8;
    }
    cp = (cp << 6) | (next & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++pos;
    return kBadUtf8;
  }
  pos += length;
  return cp;
}

}  // namespace banlist::sdk::rules
