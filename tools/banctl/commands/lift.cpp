// banctl lift: lifts one ban (DELETE /v1/bans/{fp}) with a reason and case.
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl lift FP [--reason R] [--case ID] [--note TEXT]\n"
        "       banctl lift --type TYPE --value VALUE [--reason R] [--case ID] [--note TEXT]\n"
        "\n"
        "Lifts a ban. The lifted record is kept and shows in `banctl history`.\n"
        "\n"
        "  FP             the fingerprint (32 hex digits), as `banctl list` shows it\n"
        "  --type, --value  name the identifier instead of FP\n"
        "  --reason R     appeal_granted, mistake, expired, reassigned, other (default other)\n"
        "  --case ID      case reference of the appeal (at most 64 characters)\n"
        "  --note TEXT    why (at most 1,000 characters)\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl lift --type phone --value 13800138000 --reason appeal_granted --case A-9\n"
    "Exit status: 0 lifted, 4 not banned, see `banctl help` for the rest.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "lift", kUsage,
                            {"--reason", "--case", "--note", "--type", "--value"}, {}, out, err);
  if (!line)
    return line.error();
  auto s = open_session(*line, "lift", err);
  if (!s)
    return s.error();
  auto fp = fingerprint_argument(*s, *line, 0, kUsage, err);
  if (!fp)
    return fp.error();
  std::string target = "/v1/bans/" + *fp;
  add_filters(target, *line, {{"--reason", "reason"}, {"--case", "case_id"}, {"--note", "note"}});
  auto reply = call(*s, "DELETE", target, err);
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    out << "lifted " << field_text(doc, "fp") << " (seq " << field_text(doc, "seq") << ")\n";
  });
}

}  // namespace

const command kLiftCommand{"lift", "lift one ban (with a reason and case reference)", kUsage, run};

}  // namespace banlist::banctl
