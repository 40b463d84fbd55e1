// Phone numbers: E.164 through libphonenumber (default region CN), with a
// fast path for canonical Chinese mobile numbers. See docs/protocol.md.
#include "banlist/sdk/phone.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>
#include <utility>

#include "rules.hpp"

namespace banlist::sdk {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr auto kType = identifier_type::phone;
constexpr std::string_view kCnPrefix = "+86";
constexpr std::size_t kCnMobileDigits = 11;

bool all_digits(std::string_view text) noexcept {
  for (char c : text) {
    if (!rules::is_ascii_digit(c))
      return false;
  }
  return true;
}

// The mobile number ranges of libphonenumber's CN metadata (8.12):
//   1740[0-5]\d{6} | 1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}
// Any 11-digit number matching them is valid for CN. The ranges are checked
// against the installed metadata on first use (phone_fast_path_enabled) and
// by tests/sdk/phone_fast_path_test.cpp.
bool is_cn_mobile(std::string_view d) noexcept {
  if (d.size() != kCnMobileDigits || d[0] != '1')
    return false;
  const char b = d[1];
  const char c = d[2];
  switch (b) {
    case '3':
    case '8':
      return true;
    case '4':
      return c == '5' || c == '7';
    case '5':
    case '9':
      return c != '4';
    case '6':
      return c == '2' || (c >= '5' && c <= '7');
    case '7':
      if (c == '4')
        return d[3] == '0' && d[4] >= '0' && d[4] <= '5';
      return c != '9';
    default:
      return false;
  }
}

// Characters accepted before libphonenumber sees the value: digits, a leading
// plus, the usual separators, and any non-ASCII byte (libphonenumber folds
// full-width digits and Unicode spaces). Letters are refused, so vanity
// numbers ("1-800-FLOWERS") and extensions ("ext. 12") never get through.
bool allowed_for_parse(char c) noexcept {
  if (static_cast<unsigned char>(c) >= 0x80)
    return true;
  if (rules::is_ascii_digit(c) || rules::is_ascii_space(c))
    return true;
  switch (c) {
    case '+':
    case '-':
    case '.':
    case '(':
    case ')':
    case '/':
      return true;
    default:
      return false;
  }
}

// Returns true when the fast path accepts exactly what libphonenumber accepts
// for one sample number of every 4-digit mobile prefix (and every 1740x), in
// the bare, the "+86" and a "+86 138 0013-8000" form.
bool fast_path_agrees_with_metadata() {
  auto agrees = [](const std::string& value) {
    const auto fast = phone_fast_path(value);
    if (!fast)
      return true;  // not claimed by the fast path: nothing to check
    const auto slow = phone_via_libphonenumber(value);
    return slow.has_value() && *slow == *fast;
  };
  auto check_prefix = [&](const std::string& prefix) {
    std::string number = prefix;
    for (std::size_t i = prefix.size(); i < kCnMobileDigits; ++i) {
      number.push_back(static_cast<char>('0' + (i * 7 + 3) % 10));
    }
    // Built with append: operator+ on temporaries trips g++ 12's -Wrestrict.
    std::string plus(kCnPrefix);
    plus.append(number);
    std::string spaced(kCnPrefix);
    spaced.append(" ").append(number, 0, 3).append(" ").append(number, 3, 4).append("-");
    spaced.append(number, 7, 4);
    return agrees(number) && agrees(plus) && agrees(spaced);
  };
  for (int prefix = 1000; prefix <= 1999; ++prefix) {
    if (!check_prefix(std::to_string(prefix)))
      return false;
  }
  for (int prefix = 17400; prefix <= 17409; ++prefix) {
    if (!check_prefix(std::to_string(prefix)))
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> phone_fast_path(std::string_view value) {
  // Investigation files write numbers as "138 0013 8000", "+86 138-0013-8000"
  // as often as "13800138000". Single spaces or dashes between digits are
  // dropped here (libphonenumber drops them too; the tests compare every
  // form); anything else unusual goes to libphonenumber.
  char compact[kCnPrefix.size() + kCnMobileDigits];
  std::size_t size = 0;
  bool after_separator = true;  // no separator first, none doubled
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ' ' || c == '-') {
      if (after_separator)
        return std::nullopt;
      after_separator = true;
      continue;
    }
    if (size == sizeof compact || !(rules::is_ascii_digit(c) || (c == '+' && i == 0)))
      return std::nullopt;
    compact[size++] = c;
    after_separator = c == '+';  // "+ 86..." is left to libphonenumber
  }
  if (after_separator)
    return std::nullopt;  // empty, or a separator last
  const std::string_view digits(compact, size);
  std::string_view national;
  if (digits.size() == kCnMobileDigits) {
    national = digits;
  } else if (digits.size() == kCnPrefix.size() + kCnMobileDigits && digits.starts_with(kCnPrefix)) {
    national = digits.substr(kCnPrefix.size());
  } else {
    return std::nullopt;
  }
  if (!all_digits(national) || !is_cn_mobile(national))
    return std::nullopt;
  std::string e164;
  e164.reserve(kCnPrefix.size() + kCnMobileDigits);  // 14 bytes: within the SSO buffer
  e164.append(kCnPrefix);
  e164.append(national);
  return e164;
}

std::expected<std::string, normalize_error> phone_via_libphonenumber(std::string_view value) {
  for (char c : value) {
    if (!allowed_for_parse(c)) {
      return rules::reject(kType, "characters",
                           "only digits, a leading '+', spaces and - . ( ) / are allowed");
    }
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  switch (util.Parse(std::string(value), "CN", &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return rules::reject(kType, "country_code", "the country calling code is unknown");
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_LONG_NSN:
      return rules::reject(kType, "number_length", "the number has too few or too many digits");
    case PhoneNumberUtil::NOT_A_NUMBER:
    default:
      return rules::reject(kType, "not_a_number", "this is not a phone number");
  }
  if (number.has_extension()) {
    return rules::reject(kType, "extension", "numbers with an extension are not accepted");
  }
  if (!util.IsValidNumber(number)) {
    return rules::reject(kType, "invalid_number",
                         "the number is not in a valid range for its country");
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool phone_fast_path_enabled() {
  static const bool enabled = fast_path_agrees_with_metadata();
  return enabled;
}

namespace rules {

result phone(std::string_view value) {
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (phone_fast_path_enabled()) {
    if (auto fast = phone_fast_path(value))
      return std::move(*fast);
  }
  return phone_via_libphonenumber(value);
}

std::size_t country_code_length(std::string_view digits) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::string region;
  int code = 0;
  // Calling codes are prefix-free, so at most one length names a country.
  for (std::size_t length = 1; length <= 3 && length <= digits.size(); ++length) {
    if (!is_ascii_digit(digits[length - 1]))
      return 0;
    code = code * 10 + (digits[length - 1] - '0');
    util.GetRegionCodeForCountryCode(code, &region);
    if (region != "ZZ")
      return length;
  }
  return 0;
}

}  // namespace rules
}  // namespace banlist::sdk
