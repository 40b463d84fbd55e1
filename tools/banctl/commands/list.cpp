// banctl list: bans, newest first, filtered and paged (GET /v1/bans).
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl list [--type TYPE] [--reason REASON] [--since TIME]\n"
        "                   [--limit N] [--cursor C | --all]\n"
        "\n"
        "Lists bans, newest first, one page (100 by default) at a time.\n"
        "\n"
        "  --type TYPE     only this identifier type\n"
        "  --reason R      only this ban reason\n"
        "  --since TIME    banned at or after TIME: unix seconds, RFC 3339, or a span\n"
        "                  back from now (7d, 12h)\n"
        "  --limit N       rows per page (1 to 1000)\n"
        "  --cursor C      the page after C (printed under a page that has more)\n"
        "  --all           every page (with --json: one ban per line, NDJSON); for whole\n"
        "                  lists prefer `banctl export`\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl list --type phone --reason telecom_fraud --since 7d\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line =
      parse_command(args, "list", kUsage, {"--type", "--reason", "--since", "--limit", "--cursor"},
                    {"--all"}, out, err);
  if (!line)
    return line.error();
  if (!line->positional().empty())
    return usage_error(err, "list", "list takes no arguments, only options", kUsage);
  std::string target = "/v1/bans";
  add_filters(target, *line, {{"--type", "type"}, {"--reason", "reason"}, {"--limit", "limit"}});
  if (const auto since = line->value("--since")) {
    const auto t = parse_time(*since, false);
    if (!t)
      return usage_error(err, "list", "--since takes unix seconds, RFC 3339 or 7d / 12h", kUsage);
    add_query(target, "since", std::to_string(*t));
  }
  auto s = open_session(*line, "list", err);
  if (!s)
    return s.error();
  table t({"FP", "TYPE", "MASKED", "REASON", "CASE", "BANNED_AT", "SEQ", "STATUS"});
  std::string next;
  const int rc = list_pages(
      *s, target, paging{"cursor", "next_cursor", "items"}, line->value("--cursor").value_or(""),
      line->flag("--all"), out, err,
      [&](const rapidjson::Value& item) {
        t.add_row(cells_of(
            item, {"fp", "type", "masked", "reason", "case_id", "banned_at", "seq", "status"}));
      },
      next);
  if (rc != kExitOk)
    return rc;
  if (!s->json) {
    t.print(out);
    if (!next.empty())
      err << "more: banctl list --cursor " << next << " (or --all)\n";
  }
  return kExitOk;
}

}  // namespace

const command kListCommand{"list", "list bans, filtered, page by page", kUsage, run};

}  // namespace banlist::banctl
