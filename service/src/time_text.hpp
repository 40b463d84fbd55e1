// time_text: reads the times the API accepts — RFC 3339 ("2026-05-01T12:00:00Z",
// optional fraction, "Z" or a ±hh:mm offset) or unix seconds as decimal
// text. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace banlist::service {

// RFC 3339 date-time to unix seconds (a fraction is dropped). nullopt when
// the text is not one, or names an impossible date or time.
std::optional<std::int64_t> parse_rfc3339_seconds(std::string_view text);

// Unix seconds given as decimal digits, or RFC 3339.
std::optional<std::int64_t> parse_time_seconds(std::string_view text);

}  // namespace banlist::service
