// Domains: lower-case ASCII host names; see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {

result domain(std::string_view value) {
  constexpr auto kType = identifier_type::domain;
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  if (!is_ascii(value)) {
    return reject(kType, "non_ascii",
                  "internationalized names must be given in punycode (xn--...) form");
  }
  if (value.find("://") != std::string_view::npos) {
    return reject(kType, "url", "give the host name alone, not a URL");
  }
  std::string host = ascii_lower(value);
  // The root label: "example.com." and "example.com" are the same name.
  if (!host.empty() && host.back() == '.')
    host.pop_back();
  const host_problem problem = check_host(host);
  if (!problem.rule.empty())
    return reject(kType, problem.rule, problem.detail);
  return host;
}

}  // namespace banlist::sdk::rules
