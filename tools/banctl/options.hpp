// Small command-line helpers shared by banctl commands: splitting options
// from positional arguments and parsing numbers. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"

namespace banlist::banctl {

// Arguments split into positionals and "--name" / "--name=value" /
// "--name value" options. "--" ends the options.
struct parsed_args {
  std::vector<std::string_view> positional;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> options;
  std::string error;  // non-empty when the command line is malformed
};

// Splits `args`. Options named in `with_value` take a value (inline after
// '=' or as the next argument); the others are flags.
parsed_args parse_args(command_args args, std::initializer_list<std::string_view> with_value);

// Parses an unsigned 64-bit number, decimal or 0x-prefixed hex.
std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;

}  // namespace banlist::banctl

namespace banlist::banctl {

// The options every command that talks to the service accepts.
inline constexpr std::string_view kConnectionOptionsHelp =
    "  --url URL        server, e.g. https://banlist.example:8443 (default: $BANLIST_URL,\n"
    "                   else http://127.0.0.1:8080)\n"
    "  --key-file PATH  read the API key from PATH (first line); safer than --key\n"
    "  --key KEY        the API key (default: $BANLIST_KEY); visible to other users in\n"
    "                   the process list, so prefer BANLIST_KEY or --key-file\n"
    "  --timeout S      seconds without progress before giving up (default 30)\n"
    "  --json           print the server's JSON instead of a table\n";

// A parsed command line with lookups by option name. The connection options
// above and --json / --help are always accepted.
class command_line {
 public:
  // Parses `args`: options named in `with_value` take a value, those in
  // `flags` do not; anything else is an error (the text says which).
  static std::optional<command_line> parse(command_args args,
                                           std::initializer_list<std::string_view> with_value,
                                           std::initializer_list<std::string_view> flags,
                                           std::string& error);

  const std::vector<std::string_view>& positional() const noexcept { return parsed_.positional; }
  bool flag(std::string_view name) const;
  // The last value given for `name`.
  std::optional<std::string_view> value(std::string_view name) const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string_view> values(std::string_view name) const;
  bool help() const { return flag("--help") || flag("-h"); }

 private:
  parsed_args parsed_;
};

}  // namespace banlist::banctl
