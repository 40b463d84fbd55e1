// Request-target helpers: split path from query, percent-decode, parse the
// query string. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace banlist::service {

struct split_target_result {
  std::string_view path;
  std::string_view query;  // without the '?'
};

// Splits "/a/b?x=1" into "/a/b" and "x=1".
split_target_result split_target(std::string_view target) noexcept;

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Returns
// nullopt for a malformed escape or a decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Parsed query parameters in order of appearance. A repeated name keeps every
// value; find() returns the first.
class query_params {
 public:
  // Returns nullopt when any name or value is malformed.
  static std::optional<query_params> parse(std::string_view query);

  const std::string* find(std::string_view name) const noexcept;
  const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace banlist::service
