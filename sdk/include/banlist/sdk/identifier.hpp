// Identifiers: the (type, value) pairs moderators ban, their normalization
// and masking. The rules are specified in docs/protocol.md; the service and
// the partner SDK both use this code, so they exist exactly once.
//
// Every function here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::sdk {

enum class identifier_type : std::uint8_t {
  phone = 1,
  email = 2,
  id_card = 3,
  bank_card = 4,
  device = 5,
  account = 6,
  domain = 7,
  app = 8,
};

// Returns the wire name ("phone", "id_card", ...).
std::string_view to_string(identifier_type type) noexcept;

// Parses a wire name. Returns nullopt for anything else (case-sensitive).
std::optional<identifier_type> parse_identifier_type(std::string_view name) noexcept;

// Why a value did not normalize. `rule` is a short stable code
// ("luhn", "check_digit", "not_a_number", ...) documented in protocol.md;
// `message` is a sentence for humans that names the type and the rule.
struct normalize_error {
  identifier_type type;
  std::string rule;
  std::string message;
};

// Returns the canonical form of `value` for `type`, or why it has none.
std::expected<std::string, normalize_error> normalize(identifier_type type,
                                                      std::string_view value);

// Returns XXH3-128(seed, to_string(type) + ":" + normalized).
// Requires: `normalized` is the output of normalize(type, ...).
fingerprint fingerprint_of(identifier_type type, std::string_view normalized,
                           std::uint64_t seed) noexcept;

// Returns the public, masked form of a normalized value ("138****8000",
// "z***@example.com"). Never reveals enough to recover the value.
std::string mask(identifier_type type, std::string_view normalized);

}  // namespace banlist::sdk
