// banctl show: one ban record (GET /v1/bans/{fp}), banned or lifted.
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl show FP\n"
        "       banctl show --type TYPE --value VALUE\n"
        "\n"
        "Prints the ban record of a fingerprint: its normalized value, reason, case,\n"
        "who banned it and when, and, once lifted, the lift's reason and time.\n"
        "\n"
        "  FP             the fingerprint (32 hex digits)\n"
        "  --type, --value  name the identifier instead of FP\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Exit status: 0 shown, 4 never banned, see `banctl help` for the rest.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "show", kUsage, {"--type", "--value"}, {}, out, err);
  if (!line)
    return line.error();
  auto s = open_session(*line, "show", err);
  if (!s)
    return s.error();
  auto fp = fingerprint_argument(*s, *line, 0, kUsage, err);
  if (!fp)
    return fp.error();
  auto reply = call(*s, "GET", "/v1/bans/" + *fp, err);
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out,
                     [&](const rapidjson::Document& doc) { print_record(out, doc); });
}

}  // namespace

const command kShowCommand{"show", "show one ban record (banned or lifted)", kUsage, run};

}  // namespace banlist::banctl
