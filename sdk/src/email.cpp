// E-mail addresses: trimmed, lower-cased, dot-atom local part and a host
// name; see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {
namespace {

constexpr auto kType = identifier_type::email;
constexpr std::size_t kMaxAddress = 254;  // RFC 5321 path limit minus the brackets
constexpr std::size_t kMaxLocal = 64;

// RFC 5322 atext, lower-case: letters, digits and !#$%&'*+-/=?^_`{|}~
bool is_atext(char c) noexcept {
  if (is_ascii_lower(c) || is_ascii_digit(c))
    return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

}  // namespace

result email(std::string_view value) {
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (!is_ascii(value)) {
    return reject(kType, "non_ascii",
                  "only ASCII addresses are accepted (give the domain in punycode form)");
  }
  if (value.size() > kMaxAddress) {
    return reject(kType, "length", "an address has at most 254 characters");
  }
  std::string address = ascii_lower(value);
  const std::size_t at = address.find('@');
  if (at == std::string::npos || address.find('@', at + 1) != std::string::npos) {
    return reject(kType, "at_sign", "an address has exactly one '@'");
  }
  const std::string_view local = std::string_view(address).substr(0, at);
  const std::string_view host = std::string_view(address).substr(at + 1);
  if (local.empty() || local.size() > kMaxLocal) {
    return reject(kType, "local_part", "the part before '@' has 1 to 64 characters");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return reject(kType, "local_part",
                  "the part before '@' must not begin or end with '.' or contain '..'");
  }
  for (char c : local) {
    if (c != '.' && !is_atext(c)) {
      return reject(kType, "local_part",
                    "the part before '@' allows letters, digits, '.' and !#$%&'*+-/=?^_`{|}~ "
                    "(quoted forms are not accepted)");
    }
  }
  const host_problem problem = check_host(host);
  if (!problem.rule.empty()) {
    std::string detail = "the part after '@' is not a valid domain: ";
    detail.append(problem.detail);
    return reject(kType, "domain", detail);
  }
  return address;
}

}  // namespace banlist::sdk::rules
