// Masked forms for public display; the rules are listed in docs/protocol.md.
// Each rule hides enough that the masked form alone leaves at least about
// ten thousand candidates, and never shows a value's length where the length
// itself would narrow it (e-mail local parts, cards, devices, handles).
#include <algorithm>
#include <string>

#include "banlist/sdk/identifier.hpp"
#include "rules.hpp"

namespace banlist::sdk {
namespace {

constexpr std::string_view kHidden = "***";

// Phone: hide at least 4 digits (and all but 7) in the middle of the
// national number, show up to the last 4 and whatever is left at the front:
// 11 digits "138****8000", 10 digits "20****0123", 8 digits "****5678".
std::string mask_phone(std::string_view e164) {
  if (e164.size() < 2 || e164.front() != '+')
    return std::string(kHidden);
  const std::string_view digits = e164.substr(1);
  if (!std::all_of(digits.begin(), digits.end(), rules::is_ascii_digit)) {
    return std::string(kHidden);
  }
  std::string out;
  std::string_view national;
  if (digits.starts_with("86")) {
    national = digits.substr(2);  // Chinese numbers are shown the domestic way
  } else {
    const std::size_t cc = rules::country_code_length(digits);
    out.append("+").append(digits.substr(0, cc)).append(" ");
    national = digits.substr(cc);
  }
  const std::size_t n = national.size();
  const std::size_t hidden = std::min(n, std::max<std::size_t>(4, n > 7 ? n - 7 : 0));
  const std::size_t tail = std::min<std::size_t>(4, n - hidden);
  const std::size_t head = n - hidden - tail;
  out.append(national.substr(0, head));
  out.append(hidden, '*');
  out.append(national.substr(head + hidden));
  return out;
}

// E-mail: the first character of a local part of 4 or more characters,
// "***", and the domain: "z***@example.com".
std::string mask_email(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos)
    return std::string(kHidden);
  const std::string_view local = address.substr(0, at);
  std::string out;
  if (local.size() >= 4)
    out.push_back(local.front());
  out.append(kHidden).append(address.substr(at));
  return out;
}

// Resident ID: first 3 (province and prefecture), last 2: "110*************1X".
std::string mask_id_card(std::string_view id) {
  if (id.size() != 18)
    return std::string(kHidden);
  std::string out(id.substr(0, 3));
  out.append(13, '*');
  out.append(id.substr(16));
  return out;
}

// Cards and devices: the last 4 characters of a long value, "****1234";
// short values are hidden entirely.
std::string mask_last_four(std::string_view value, std::size_t min_length) {
  std::string out = "****";
  if (value.size() >= min_length)
    out.append(value.substr(value.size() - 4));
  return out;
}

// Account: the platform, and the first and last character (code points) of
// a handle of 6 or more characters: "weibo:s***r".
std::string mask_account(std::string_view account) {
  const std::size_t colon = account.find(':');
  if (colon == std::string_view::npos)
    return std::string(kHidden);
  const std::string_view handle = account.substr(colon + 1);
  std::string out(account.substr(0, colon + 1));
  std::size_t count = 0;
  std::size_t first_end = 0;
  std::size_t last_begin = 0;
  for (std::size_t pos = 0; pos < handle.size();) {
    last_begin = pos;
    if (rules::decode_utf8(handle, pos) == rules::kBadUtf8)
      return out.append(kHidden);
    if (count++ == 0)
      first_end = pos;
  }
  if (count < 6)
    return out.append(kHidden);
  out.append(handle.substr(0, first_end));
  out.append(kHidden);
  out.append(handle.substr(last_begin));
  return out;
}

// Domain: the first character and the top-level label: "e***.com".
std::string mask_domain(std::string_view host) {
  const std::size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0)
    return std::string(kHidden);
  std::string out(1, host.front());
  out.append(kHidden).append(host.substr(dot));
  return out;
}

// App: the first segment and the first character of the last one:
// "com.s***" for com.scamapp, "com.***.w***" for com.example.wallet.
std::string mask_app(std::string_view name) {
  const std::size_t first_dot = name.find('.');
  const std::size_t last_dot = name.rfind('.');
  if (first_dot == std::string_view::npos || last_dot + 1 >= name.size()) {
    return std::string(kHidden);
  }
  std::string out(name.substr(0, first_dot + 1));
  if (last_dot != first_dot)
    out.append(kHidden).append(".");
  out.push_back(name[last_dot + 1]);
  out.append(kHidden);
  return out;
}

}  // namespace

std::string mask(identifier_type type, std::string_view normalized) {
  switch (type) {
    case identifier_type::phone:
      return mask_phone(normalized);
    case identifier_type::email:
      return mask_email(normalized);
    case identifier_type::id_card:
      return mask_id_card(normalized);
    case identifier_type::bank_card:
      return mask_last_four(normalized, 12);
    case identifier_type::device:
      return mask_last_four(normalized, 12);
    case identifier_type::account:
      return mask_account(normalized);
    case identifier_type::domain:
      return mask_domain(normalized);
    case identifier_type::app:
      return mask_app(normalized);
  }
  return std::string(kHidden);
}

}  // namespace banlist::sdk
