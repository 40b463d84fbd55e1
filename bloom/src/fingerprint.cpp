#include "banlist/bloom/fingerprint.hpp"

#include <array>

namespace banlist {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Digit values by byte, 0xff for a non-digit. A table instead of range
// tests: random hex defeats branch prediction, and every fingerprint a
// partner sends in a check URL is parsed here.
constexpr std::array<std::uint8_t, 256> kHexValues = [] {
  std::array<std::uint8_t, 256> values{};
  values.fill(0xff);
  for (int i = 0; i < 10; ++i)
    values['0' + i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < 6; ++i) {
    values['a' + i] = static_cast<std::uint8_t>(10 + i);
    values['A' + i] = static_cast<std::uint8_t>(10 + i);
  }
  return values;
}();

// The 64-bit value of 16 hex digits; `bad` collects 0xff for a non-digit.
std::uint64_t parse_word(const char* text, std::uint8_t& bad) noexcept {
  std::uint64_t word = 0;
  for (int i = 0; i < 16; ++i) {
    const std::uint8_t v = kHexValues[static_cast<unsigned char>(text[i])];
    bad |= v & 0xf0;
    word = (word << 4) | (v & 0xf);
  }
  return word;
}

void write_hex(std::uint64_t word, char* out) noexcept {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHexDigits[word & 0xf];
    word >>= 4;
  }
}

}  // namespace

std::string fingerprint::to_hex() const {
  std::string text(32, '0');
  write_hex(high, text.data());
  write_hex(low, text.data() + 16);
  return text;
}

std::optional<fingerprint> fingerprint::from_hex(std::string_view text) noexcept {
  if (text.size() != 32)
    return std::nullopt;
  std::uint8_t bad = 0;
  const fingerprint fp{parse_word(text.data(), bad), parse_word(text.data() + 16, bad)};
  if (bad != 0)
    return std::nullopt;
  return fp;
}

}  // namespace banlist
