// banctl history: every ban and lift of one fingerprint
// (GET /v1/bans/{fp}/history), oldest first.
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl history FP\n"
        "       banctl history --type TYPE --value VALUE\n"
        "\n"
        "Lists every ban and lift of a fingerprint, oldest first, with the key that\n"
        "made it, its time, reason, case and linked partner report.\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Exit status: 0 shown, 4 never banned, see `banctl help` for the rest.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "history", kUsage, {"--type", "--value"}, {}, out, err);
  if (!line)
    return line.error();
  auto s = open_session(*line, "history", err);
  if (!s)
    return s.error();
  auto fp = fingerprint_argument(*s, *line, 0, kUsage, err);
  if (!fp)
    return fp.error();
  auto reply = call(*s, "GET", "/v1/bans/" + *fp + "/history", err);
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    out << "history of " << field_text(doc, "fp") << "\n";
    table t({"OP", "SEQ", "AT", "BY", "REASON", "CASE", "REPORT", "NOTE"});
    if (doc.IsObject() && doc.HasMember("events") && doc["events"].IsArray()) {
      for (const auto& e : doc["events"].GetArray())
        t.add_row(cells_of(e, {"op", "seq", "at", "by", "reason", "case_id", "report_id", "note"}));
    }
    t.print(out);
  });
}

}  // namespace

const command kHistoryCommand{"history", "every ban and lift of one fingerprint", kUsage, run};

}  // namespace banlist::banctl
