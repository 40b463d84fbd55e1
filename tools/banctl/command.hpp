// The shape of a banctl command: a name, a one-line summary for the command
// list, its usage text, and an entry point. main.cpp holds the table of
// commands; each command lives in its own file under commands/.
//
// Commands write results to `out` and diagnostics to `err`, and return the
// process exit code (kExit*). Not thread-safe; banctl runs one command.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace banlist::banctl {

constexpr int kExitOk = 0;
constexpr int kExitInvalidIdentifier = 1;  // the input was understood but is not valid
constexpr int kExitUsage = 2;              // bad command line

using command_args = std::span<const std::string_view>;

struct command {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;
  int (*run)(command_args args, std::ostream& out, std::ostream& err);
};

}  // namespace banlist::banctl
