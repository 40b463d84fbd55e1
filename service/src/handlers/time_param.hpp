// time_param: reads the time query parameters of the admin routes (since,
// until): unix seconds, or RFC 3339 ("2026-05-01T12:00:00Z", optional
// fraction, "Z" or a "+hh:mm" / "-hh:mm" offset). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace banlist::service::handlers {

// The time as unix milliseconds, or nullopt when `text` is neither form.
std::optional<std::int64_t> parse_time_param(std::string_view text);

}  // namespace banlist::service::handlers
