// Shared pieces of the commands that talk to banlistd: parsing the command
// line (printing the usage on error), printing a reply as JSON or through a
// table printer, resolving "FP | --type T --value V" to a fingerprint, and
// reading times. Not thread-safe.
#pragma once

#include <expected>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "../command.hpp"
#include "../json_util.hpp"
#include "../options.hpp"
#include "../table.hpp"

namespace banlist::banctl {

// Parses the command line; on --help prints the usage and returns kExitOk as
// the error, on a malformed line prints the problem and the usage and
// returns kExitUsage.
std::expected<command_line, int> parse_command(command_args args, std::string_view name,
                                               std::string_view usage,
                                               std::initializer_list<std::string_view> with_value,
                                               std::initializer_list<std::string_view> flags,
                                               std::ostream& out, std::ostream& err);

// Prints a usage error and returns kExitUsage.
int usage_error(std::ostream& err, std::string_view name, std::string_view message,
                std::string_view usage);

// Prints the reply body verbatim with --json, else parses it and hands the
// document to `print` (a reply that is not JSON is printed as it is).
int print_reply(const session& s, const http_reply& reply, std::ostream& out,
                const std::function<void(const rapidjson::Document&)>& print);

// The fingerprint named by the command line: one positional FP (32 hex
// digits), or --type and --value, resolved through GET /v1/check so the
// deployment's seed is used. Exit code (after printing why) on failure.
std::expected<std::string, int> fingerprint_argument(session& s, const command_line& line,
                                                     std::size_t position, std::string_view usage,
                                                     std::ostream& err);

// A time for the service: unix seconds as given, RFC 3339 ("2026-11-28T12:00:00Z")
// converted to unix seconds, or a span from now ("30d", "12h", "90m") for
// expiry. nullopt when unreadable.
std::optional<std::int64_t> parse_time(std::string_view text, bool relative_is_future);

// Adds each (option, query name) present on the command line to `target`.
void add_filters(std::string& target, const command_line& line,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> filters);

}  // namespace banlist::banctl

namespace banlist::banctl {

// How a listing route pages: the query parameter taking the cursor, the
// reply member holding the next one, and the member holding the items.
struct paging {
  std::string_view cursor_param;  // "cursor" or "before"
  std::string_view next_member;   // "next_cursor" or "next_before"
  std::string_view items_member;  // "items", "entries", "reports"
};

// Lists a paged route from `start_cursor` ("" = the newest): one page, or with `all` every page
// (following the next cursor, which stays a string). Items are handed to `on_item`; with
// --json a single page is printed verbatim and --all prints one item per
// line (NDJSON). Returns the exit code; `next` gets the cursor of the page
// after the last one fetched ("" at the end).
int list_pages(session& s, std::string target, const paging& p, std::string_view start_cursor,
               bool all, std::ostream& out, std::ostream& err,
               const std::function<void(const rapidjson::Value&)>& on_item, std::string& next);

}  // namespace banlist::banctl
