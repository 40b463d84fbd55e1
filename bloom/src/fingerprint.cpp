#include "banlist/bloom/fingerprint.hpp"

#include <bit>
#include <cstring>

namespace banlist {
namespace {

// Eight hex digits at a time, as bytes of one 64-bit word (SWAR): every
// fingerprint a partner sends is parsed here (10,000 per batch check), and
// a digit-by-digit loop was 10 % of a JSON batch check's CPU. No branch
// depends on the digits, so random hex costs no mispredictions.
static_assert(std::endian::native == std::endian::little,
              "parse_half and hex_of_half take bytes in that order");
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

// Bit 7 of each byte set where that byte of `x` (below 0x80) is in [lo, hi].
constexpr std::uint64_t in_range(std::uint64_t x, std::uint8_t lo, std::uint8_t hi) noexcept {
  // x | 0x80 minus lo cannot borrow from the next byte, nor can (hi | 0x80)
  // minus x: bit 7 survives exactly when x >= lo, respectively x <= hi.
  const std::uint64_t at_least = ((x | kHigh) - kOnes * lo) & kHigh;
  const std::uint64_t at_most = ((kOnes * hi | kHigh) - x) & kHigh;
  return at_least & at_most;
}

// The 32-bit value of 8 hex digits (either case); `bad` collects non-zero
// for a non-digit.
std::uint32_t parse_half(const char* text, std::uint64_t& bad) noexcept {
  std::uint64_t x;
  std::memcpy(&x, text, 8);  // little-endian: text[0] is the lowest byte
  const std::uint64_t seven = x & ~kHigh;
  // OR-ing 0x20 folds 'A'-'F' onto 'a'-'f' and leaves '0'-'9' alone; it
  // also folds 0x10-0x19 onto the digits, hence the control test.
  const std::uint64_t lower = seven | (kOnes * 0x20);
  const std::uint64_t digit = in_range(lower, '0', '9');
  const std::uint64_t letter = in_range(lower, 'a', 'f');
  const std::uint64_t control = in_range(seven, 0x10, 0x19);
  bad |= ((digit | letter) & ~control & ~x) ^ kHigh;  // ~x: a byte of 0x80 and up
  // Digit values: the low four bits, plus 9 for letters (bit 6 set).
  const std::uint64_t nibbles = (lower & (kOnes * 0x0f)) + ((lower >> 6) & kOnes) * 9;
  // Pairs of nibbles into bytes (first digit high), then the four bytes
  // together, first one lowest; the byte swap puts the first digit on top.
  const std::uint64_t pairs =
      ((nibbles & 0x00ff00ff00ff00ffULL) << 4) | ((nibbles >> 8) & 0x00ff00ff00ff00ffULL);
  const std::uint64_t quads = (pairs | (pairs >> 8)) & 0x0000ffff0000ffffULL;
  const auto packed = static_cast<std::uint32_t>(quads | (quads >> 16));
  return __builtin_bswap32(packed);
}

// The 64-bit value of 16 hex digits.
std::uint64_t parse_word(const char* text, std::uint64_t& bad) noexcept {
  return (static_cast<std::uint64_t>(parse_half(text, bad)) << 32) | parse_half(text + 8, bad);
}

// The 8 hex digits of `half`, first digit first, as the bytes of one word
// (the reverse of parse_half): a digit-by-digit table loop was a tenth of a
// JSON batch check's CPU.
std::uint64_t hex_of_half(std::uint32_t half) noexcept {
  // The byte swap puts the top byte lowest, which little-endian stores first;
  // then each byte gets a 16-bit lane of its own.
  std::uint64_t x = __builtin_bswap32(half);
  x = (x | (x << 16)) & 0x0000ffff0000ffffULL;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ffULL;
  // In each lane the byte's high nibble goes first (low byte), its low
  // nibble second.
  constexpr std::uint64_t kLaneNibble = 0x000f000f000f000fULL;
  const std::uint64_t nibbles = ((x >> 4) & kLaneNibble) | ((x & kLaneNibble) << 8);
  // '0' + n, and 39 more for n >= 10 ('a' - '9' - 1): n + 6 carries into
  // bit 4 exactly then, and no byte overflows (at most 'f', 0x66).
  const std::uint64_t letter = ((nibbles + kOnes * 6) >> 4) & kOnes;
  return nibbles + kOnes * '0' + letter * 39;
}

void write_word(std::uint64_t word, char* out) noexcept {
  const std::uint64_t first = hex_of_half(static_cast<std::uint32_t>(word >> 32));
  const std::uint64_t second = hex_of_half(static_cast<std::uint32_t>(word));
  std::memcpy(out, &first, 8);
  std::memcpy(out + 8, &second, 8);
}

}  // namespace

std::string fingerprint::to_hex() const {
  std::string text(32, '0');
  write_hex(text.data());
  return text;
}

void fingerprint::write_hex(char* out) const noexcept {
  write_word(high, out);
  write_word(low, out + 16);
}

std::optional<fingerprint> fingerprint::from_hex(std::string_view text) noexcept {
  if (text.size() != 32)
    return std::nullopt;
  std::uint64_t bad = 0;
  const fingerprint fp{parse_word(text.data(), bad), parse_word(text.data() + 16, bad)};
  if (bad != 0)
    return std::nullopt;
  return fp;
}

}  // namespace banlist
