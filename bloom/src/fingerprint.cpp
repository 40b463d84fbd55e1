#include "banlist/bloom/fingerprint.hpp"

namespace banlist {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
  if (text.size() != 32) return std::nullopt;
  fingerprint fp;
  for (std::size_t i = 0; i < 32; ++i) {
    const int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    std::uint64_t& word = i < 16 ? fp.high : fp.low;
    word = (word << 4) | static_cast<std::uint64_t>(v);
  }
  return fp;
}

}  // namespace banlist
