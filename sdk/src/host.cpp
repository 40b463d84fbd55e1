// Host names, for the domain type and the domain part of e-mail addresses.
#include "rules.hpp"

namespace banlist::sdk::rules {
namespace {

constexpr std::size_t kMaxHost = 253;
constexpr std::size_t kMaxLabel = 63;

bool is_ldh(char c) noexcept {
  return is_ascii_lower(c) || is_ascii_digit(c) || c == '-';
}

}  // namespace

host_problem check_host(std::string_view host) noexcept {
  if (host.empty())
    return {"empty", "the host name is empty"};
  if (host.size() > kMaxHost)
    return {"length", "a host name has at most 253 characters"};
  std::size_t labels = 0;
  std::string_view last;
  std::string_view rest = host;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty())
      return {"label", "a label is empty (leading dot or two dots in a row)"};
    if (label.size() > kMaxLabel)
      return {"label", "a label has at most 63 characters"};
    for (char c : label) {
      if (!is_ldh(c)) {
        return {"characters", "only letters, digits, '-' and '.' are allowed (LDH rule)"};
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return {"label", "a label must not begin or end with '-'"};
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos)
      break;
    rest.remove_prefix(dot + 1);
  }
  if (labels < 2)
    return {"label_count", "a host name needs at least two labels (name.tld)"};
  bool numeric_tld = true;
  for (char c : last)
    numeric_tld = numeric_tld && is_ascii_digit(c);
  if (numeric_tld) {
    return {"ip_address", "an IP address or an all-digit top-level label is not a domain"};
  }
  return {};
}

}  // namespace banlist::sdk::rules
