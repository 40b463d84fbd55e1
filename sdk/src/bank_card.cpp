// Bank card numbers (ISO/IEC 7812 PANs); see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {
namespace {

constexpr auto kType = identifier_type::bank_card;
constexpr std::size_t kMinDigits = 12;
constexpr std::size_t kMaxDigits = 19;

bool luhn_valid(std::string_view digits) noexcept {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

}  // namespace

result bank_card(std::string_view value) {
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  std::string digits;
  digits.reserve(kMaxDigits);
  for (char c : value) {
    if (c == ' ' || c == '-')
      continue;  // group separators as printed on cards
    if (!is_ascii_digit(c)) {
      return reject(kType, "characters", "only digits, spaces and '-' are allowed");
    }
    if (digits.size() == kMaxDigits) {
      return reject(kType, "length", "a card number has 12 to 19 digits");
    }
    digits.push_back(c);
  }
  if (digits.size() < kMinDigits) {
    return reject(kType, "length", "a card number has 12 to 19 digits");
  }
  if (!luhn_valid(digits)) {
    return reject(kType, "luhn", "the Luhn check digit does not match");
  }
  return digits;
}

}  // namespace banlist::sdk::rules
