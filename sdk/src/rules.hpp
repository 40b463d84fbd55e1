// The per-type normalization rules behind banlist::sdk::normalize, and the
// small text helpers they share. Private to the sdk library.
//
// Each rule function receives a value that normalize() has already capped
// (see kInputCap) and trimmed of ASCII whitespace, and returns its canonical
// form or the rule it broke. Every function is pure and thread-safe.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "banlist/sdk/identifier.hpp"

namespace banlist::sdk::rules {

using result = std::expected<std::string, normalize_error>;

// Returns the error value for `type` breaking `rule`. The message names the
// type and the rule and explains `detail`; it never quotes the value, because
// errors end up in logs and raw identifiers must not.
std::unexpected<normalize_error> reject(identifier_type type, std::string_view rule,
                                        std::string_view detail);

// Returns the longest input normalize() looks at for `type`, in bytes, before
// trimming. Anything longer is rejected ("too_long") before any other work.
std::size_t input_cap(identifier_type type) noexcept;

constexpr bool is_ascii_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool is_ascii_lower(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr char to_ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Returns true when every byte of `text` is 7-bit ASCII.
bool is_ascii(std::string_view text) noexcept;

// Returns `text` with ASCII letters lower-cased (other bytes unchanged).
std::string ascii_lower(std::string_view text);

// Returns `text` without leading and trailing ASCII whitespace.
std::string_view trim_ascii_space(std::string_view text) noexcept;

// Decodes the UTF-8 code point starting at text[pos] and advances pos past it.
// Returns -1 (and advances one byte) for a malformed, overlong, surrogate or
// out-of-range sequence.
char32_t decode_utf8(std::string_view text, std::size_t& pos) noexcept;
constexpr char32_t kBadUtf8 = static_cast<char32_t>(-1);

// Checks a lower-case ASCII host name (no trailing dot): LDH labels of 1..63
// characters, no hyphen at either end of a label, at most 253 characters, at
// least two labels, and a top-level label that is not all digits. Returns an
// empty rule when the name is fine, otherwise the rule code and a detail
// sentence. Shared by the domain and email rules.
struct host_problem {
  std::string_view rule;
  std::string_view detail;
};
host_problem check_host(std::string_view host) noexcept;

// Returns how many leading digits of an E.164 number (without '+') form its
// country calling code, or 0 when none does.
std::size_t country_code_length(std::string_view digits);

result phone(std::string_view value);
result email(std::string_view value);
result id_card(std::string_view value);
result bank_card(std::string_view value);
result device(std::string_view value);
result account(std::string_view value);
result domain(std::string_view value);
result app(std::string_view value);

}  // namespace banlist::sdk::rules
