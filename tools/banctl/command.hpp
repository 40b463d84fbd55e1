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
constexpr int kExitInvalidInput = 1;       // the server refused the input, or lines were rejected
constexpr int kExitUsage = 2;              // bad command line
constexpr int kExitAuth = 3;               // 401 / 403: the key is unknown, revoked or too weak
constexpr int kExitNotFound = 4;           // 404
constexpr int kExitConflict = 5;           // 409: conflict, or --confirm required
constexpr int kExitUnavailable = 6;        // 5xx: server or Redis unavailable, outcome unknown
constexpr int kExitNetwork = 7;            // cannot connect, connection broken, timeout

using command_args = std::span<const std::string_view>;

struct command {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;
  int (*run)(command_args args, std::ostream& out, std::ostream& err);
};

}  // namespace banlist::banctl
