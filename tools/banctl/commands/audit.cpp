// banctl audit: the audit log, newest first (GET /v1/audit).
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl audit [--actor KEYID] [--action ACTION] [--since TIME]\n"
        "                    [--until TIME] [--limit N] [--before C | --all]\n"
        "\n"
        "Lists audit entries, newest first: every ban, lift, import, key change,\n"
        "report decision, bulletin and raw export, with the key id that made it,\n"
        "its client address and request id.\n"
        "\n"
        "  --actor KEYID    only this key's entries (ids as `banctl keys list` shows)\n"
        "  --action ACTION  only this action, e.g. ban, lift, import, export_raw\n"
        "  --since, --until TIME  unix seconds, RFC 3339, or a span back (7d, 12h)\n"
        "  --limit N        entries per page (1 to 1000)\n"
        "  --before C       the page after C (printed under a page that has more)\n"
        "  --all            every page (with --json: one entry per line)\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl audit --action export_raw --since 30d\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "audit", kUsage,
                            {"--actor", "--action", "--since", "--until", "--limit", "--before"},
                            {"--all"}, out, err);
  if (!line)
    return line.error();
  if (!line->positional().empty())
    return usage_error(err, "audit", "audit takes no arguments, only options", kUsage);
  std::string target = "/v1/audit";
  add_filters(target, *line, {{"--actor", "actor"}, {"--action", "action"}, {"--limit", "limit"}});
  for (const auto& [option, query] :
       {std::pair{"--since", "since"}, std::pair{"--until", "until"}}) {
    if (const auto v = line->value(option)) {
      const auto t = parse_time(*v, false);
      if (!t)
        return usage_error(err, "audit",
                           std::string(option) + " takes unix seconds, RFC 3339 or 7d / 12h",
                           kUsage);
      add_query(target, query, std::to_string(*t));
    }
  }
  auto s = open_session(*line, "audit", err);
  if (!s)
    return s.error();
  table t({"AT", "ACTION", "KEY_ID", "ADDRESS", "TARGET", "DETAIL", "REQUEST_ID"});
  std::string next;
  const int rc = list_pages(
      *s, target, paging{"before", "next_before", "entries"}, line->value("--before").value_or(""),
      line->flag("--all"), out, err,
      [&](const rapidjson::Value& e) {
        t.add_row(
            cells_of(e, {"at", "action", "key_id", "address", "target", "detail", "request_id"}));
      },
      next);
  if (rc != kExitOk)
    return rc;
  if (!s->json) {
    t.print(out, 64);
    if (!next.empty())
      err << "more: banctl audit --before " << next << " (or --all)\n";
  }
  return kExitOk;
}

}  // namespace

const command kAuditCommand{"audit", "the audit log, filtered by actor, action and time", kUsage,
                            run};

}  // namespace banlist::banctl
