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
