// The two roads a phone number takes through normalize(): the fast path for
// canonical input, and libphonenumber. Exposed so tests can prove the fast
// path equal to libphonenumber and benchmarks can time each road alone;
// everyone else should call banlist::sdk::normalize(identifier_type::phone, ...).
//
// Both take a value already trimmed of ASCII whitespace and at most 64 bytes
// long (normalize() does both). Every function is thread-safe.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "banlist/sdk/identifier.hpp"

namespace banlist::sdk {

// Returns the E.164 form of `value` when the fast path can decide it without
// libphonenumber, or nullopt when it cannot (the caller then takes the slow
// path). The fast path only ever accepts: it decides an 11-digit Chinese
// mobile number, bare ("13800138000") or with "+86", and hands every other
// input, including every number it would reject, to libphonenumber.
// It answers whether or not phone_fast_path_enabled(); normalize() consults it
// only when enabled.
std::optional<std::string> phone_fast_path(std::string_view value);

// Returns the E.164 form of `value` as libphonenumber gives it: Parse with
// default region CN, IsValidNumber, Format E164. The reference that
// phone_fast_path must agree with.
std::expected<std::string, normalize_error> phone_via_libphonenumber(std::string_view value);

// Returns whether phone_fast_path is in use. It is switched off (everything
// goes through libphonenumber) if, on first use, the installed
// libphonenumber metadata disagrees with it on any mobile prefix it accepts.
bool phone_fast_path_enabled();

}  // namespace banlist::sdk
