// api: what every command that talks to banlistd shares — building the
// client from --url / --key / --key-file / --timeout and BANLIST_URL /
// BANLIST_KEY, making a call, and turning a failure into a message that
// says what to fix plus the documented exit code. Not thread-safe.
#pragma once

#include <expected>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.hpp"
#include "options.hpp"

namespace banlist::banctl {

struct session {
  http_client client;
  bool json = false;
  std::string command;  // "banctl ban", for messages
};

// The client the command line and environment describe. Prints the problem
// and returns the exit code (usage) when they are wrong.
std::expected<session, int> open_session(const command_line& line, std::string_view command,
                                         std::ostream& err);

// The exit code for an HTTP status (documented in `banctl help`).
int exit_code_for_status(unsigned status);

// Prints "banctl CMD: STATUS code: message — what to do" for a failed reply
// (and the request id, for the server log); returns its exit code.
int report_reply_error(std::ostream& err, const session& s, const http_reply& reply);

// Prints a transport failure; returns kExitNetwork.
int report_transport_error(std::ostream& err, const session& s, const transport_error& e);

// One call: a 2xx reply, or the exit code after printing why not.
std::expected<http_reply, int> call(session& s, std::string_view method, std::string_view target,
                                    std::ostream& err, std::string_view body = {});

// Appends "&name=value" (or "?name=value" first) with the value encoded.
void add_query(std::string& target, std::string_view name, std::string_view value);

}  // namespace banlist::banctl
