// banctl reports list|show|accept|reject: partner reports of suspected
// accounts (/v1/reports), decided by moderators.
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl reports list [--status S] [--limit N] [--cursor C | --all]\n"
        "       banctl reports show ID\n"
        "       banctl reports accept ID [--reason R] [--public] [--note TEXT] [--case ID]\n"
        "                                [--expires TIME]\n"
        "       banctl reports reject ID --reason TEXT\n"
        "\n"
        "Reviews what partner platforms reported (moderator key).\n"
        "\n"
        "  list     reports, newest first; --status open (default on the server),\n"
        "           accepted, rejected or all\n"
        "  show     one report: masked identifier, evidence, how many partners reported it\n"
        "  accept   ban the reported identifier; the ban is linked to the report.\n"
        "           --reason overrides the partner's ban reason; --public, --note, --case,\n"
        "           --expires as in `banctl ban`\n"
        "  reject   close the report; --reason (free text) is required and the reporting\n"
        "           partner can read it\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Report ids are decimal strings, printed as the server gives them.\n"
    "Exit status: 0 done, 4 no such report, 5 already decided, see `banctl help`.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(
      args, "reports", kUsage,
      {"--status", "--limit", "--cursor", "--reason", "--note", "--case", "--expires"},
      {"--all", "--public"}, out, err);
  if (!line)
    return line.error();
  const auto& pos = line->positional();
  if (pos.empty())
    return usage_error(err, "reports", "expected list, show, accept or reject", kUsage);
  const std::string_view action = pos[0];
  if (action == "list") {
    if (pos.size() != 1)
      return usage_error(err, "reports", "reports list takes no arguments", kUsage);
    std::string target = "/v1/reports";
    add_filters(target, *line, {{"--status", "status"}, {"--limit", "limit"}});
    auto s = open_session(*line, "reports list", err);
    if (!s)
      return s.error();
    table t({"ID", "STATUS", "TYPE", "MASKED", "REASON", "REPORTERS", "CREATED_AT", "FP"});
    std::string next;
    const int rc = list_pages(
        *s, target, paging{"cursor", "next_cursor", "reports"},
        line->value("--cursor").value_or(""), line->flag("--all"), out, err,
        [&](const rapidjson::Value& r) {
          t.add_row(cells_of(
              r, {"id", "status", "type", "masked", "reason", "reporters", "created_at", "fp"}));
        },
        next);
    if (rc != kExitOk)
      return rc;
    if (!s->json) {
      t.print(out);
      if (!next.empty())
        err << "more: banctl reports list --cursor " << next << " (or --all)\n";
    }
    return kExitOk;
  }
  if (action != "show" && action != "accept" && action != "reject")
    return usage_error(err, "reports", "unknown action '" + std::string(action) + "'", kUsage);
  if (pos.size() != 2)
    return usage_error(err, "reports", "reports " + std::string(action) + " needs the report ID",
                       kUsage);
  const std::string target = "/v1/reports/" + url_encode(pos[1]);
  std::string body;
  if (action == "accept") {
    json_object request;
    if (const auto v = line->value("--reason"))
      request.string("reason", *v);
    if (line->flag("--public"))
      request.boolean("public", true);
    if (const auto v = line->value("--note"))
      request.string("note", *v);
    if (const auto v = line->value("--case"))
      request.string("case_id", *v);
    if (const auto v = line->value("--expires")) {
      const auto at = parse_time(*v, true);
      if (!at)
        return usage_error(err, "reports", "--expires takes unix seconds, RFC 3339 or 30d", kUsage);
      request.number("expires_at", static_cast<std::uint64_t>(*at));
    }
    body = request.take();
  } else if (action == "reject") {
    const auto reason = line->value("--reason");
    if (!reason || reason->empty())
      return usage_error(err, "reports", "reports reject needs --reason TEXT", kUsage);
    body = json_object().string("reason", *reason).take();
  }
  auto s = open_session(*line, "reports " + std::string(action), err);
  if (!s)
    return s.error();
  auto reply = action == "show" ? call(*s, "GET", target, err)
                                : call(*s, "POST", target + "/" + std::string(action), err, body);
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    if (action == "show") {
      print_record(out, doc);
    } else if (action == "accept") {
      out << "accepted report " << field_text(doc, "id") << ": banned " << field_text(doc, "fp")
          << " (seq " << field_text(doc, "ban_seq") << ")\n";
    } else {
      out << "rejected report " << field_text(doc, "id") << "\n";
    }
  });
}

}  // namespace

const command kReportsCommand{"reports", "review partner reports: list, show, accept, reject",
                              kUsage, run};

}  // namespace banlist::banctl
