// PRC resident identity card numbers (GB 11643-1999); see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {
namespace {

constexpr auto kType = identifier_type::id_card;
constexpr std::size_t kLength = 18;

// ISO 7064 MOD 11-2 over the first 17 digits: weight of position i is
// 2^(17-i) mod 11; the check character makes the weighted sum 1 mod 11.
constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

int digits_at(std::string_view text, std::size_t pos, std::size_t count) noexcept {
  int value = 0;
  for (std::size_t i = 0; i < count; ++i)
    value = value * 10 + (text[pos + i] - '0');
  return value;
}

// Birth date YYYYMMDD at positions 7..14: a real calendar date, year
// 1800..2099. No comparison with today, so the rule never changes over time.
bool valid_birth_date(std::string_view id) noexcept {
  const int year = digits_at(id, 6, 4);
  const int month = digits_at(id, 10, 2);
  const int day = digits_at(id, 12, 2);
  if (year < 1800 || year > 2099 || month < 1 || month > 12 || day < 1)
    return false;
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int month_days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= month_days;
}

}  // namespace

result id_card(std::string_view value) {
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (value.size() != kLength) {
    return reject(kType, "length",
                  "a resident ID has exactly 18 characters (15-digit first-generation "
                  "numbers are not accepted)");
  }
  std::string id(value);
  for (std::size_t i = 0; i + 1 < kLength; ++i) {
    if (!is_ascii_digit(id[i])) {
      return reject(kType, "characters", "the first 17 characters must be digits");
    }
  }
  if (id.back() == 'x')
    id.back() = 'X';
  if (!is_ascii_digit(id.back()) && id.back() != 'X') {
    return reject(kType, "characters", "the last character must be a digit or X");
  }
  int sum = 0;
  for (std::size_t i = 0; i + 1 < kLength; ++i)
    sum += (id[i] - '0') * kWeights[i];
  if (kCheckChars[sum % 11] != id.back()) {
    return reject(kType, "check_digit", "the check character does not match (ISO 7064 MOD 11-2)");
  }
  if (!valid_birth_date(id)) {
    return reject(kType, "birth_date",
                  "characters 7-14 must be a real date YYYYMMDD between 1800 and 2099");
  }
  return id;
}

}  // namespace banlist::sdk::rules
