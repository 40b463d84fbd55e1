// banctl ban: bans one identifier (POST /v1/bans).
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl ban TYPE VALUE --reason REASON [--note TEXT] [--case ID]\n"
        "                 [--source TEXT] [--public] [--expires TIME]\n"
        "\n"
        "Bans an identifier. The server normalizes VALUE, so any usual spelling works\n"
        "(\"+86 138-0013-8000\" and \"13800138000\" are the same phone). Banning a banned\n"
        "identifier changes nothing and prints the existing ban.\n"
        "\n"
        "  TYPE            phone, email, id_card, bank_card, device, account, domain, app\n"
        "  --reason R      telecom_fraud, phishing, fake_shop, loan_fraud, investment_fraud,\n"
        "                  impersonation, romance_scam, task_scam, dispute_fraud, money_mule,\n"
        "                  account_trading, gambling, malware, spam, other\n"
        "  --note TEXT     free text kept with the ban (not public)\n"
        "  --case ID       case reference, e.g. C-2026-17\n"
        "  --source TEXT   where the report came from\n"
        "  --public        also list the ban (masked) on the public notice page\n"
        "  --expires TIME  lift automatically at TIME: unix seconds, RFC 3339\n"
        "                  (2027-01-01T00:00:00Z) or a span from now (30d, 12h)\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl ban phone '+86 138 0013 8000' --reason telecom_fraud --case C-17\n"
    "Exit status: 0 banned (or already banned), 1 VALUE or a field is invalid, see\n"
    "`banctl help` for the rest.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line =
      parse_command(args, "ban", kUsage, {"--reason", "--note", "--case", "--source", "--expires"},
                    {"--public"}, out, err);
  if (!line)
    return line.error();
  if (line->positional().size() != 2)
    return usage_error(err, "ban", "expected TYPE and VALUE", kUsage);
  const auto reason = line->value("--reason");
  if (!reason)
    return usage_error(err, "ban", "--reason is required", kUsage);
  json_object body;
  body.string("type", line->positional()[0]).string("value", line->positional()[1]);
  body.string("reason", *reason);
  if (const auto v = line->value("--note"))
    body.string("note", *v);
  if (const auto v = line->value("--case"))
    body.string("case_id", *v);
  if (const auto v = line->value("--source"))
    body.string("source", *v);
  if (line->flag("--public"))
    body.boolean("public", true);
  if (const auto v = line->value("--expires")) {
    const auto at = parse_time(*v, true);
    if (!at)
      return usage_error(err, "ban", "--expires takes unix seconds, RFC 3339 or 30d / 12h", kUsage);
    body.number("expires_at", static_cast<std::uint64_t>(*at));
  }
  auto s = open_session(*line, "ban", err);
  if (!s)
    return s.error();
  auto reply = call(*s, "POST", "/v1/bans", err, body.take());
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    out << (reply->status == 201 ? "banned " : "already banned ") << field_text(doc, "fp") << " ("
        << field_text(doc, "type") << " " << field_text(doc, "masked") << ", seq "
        << field_text(doc, "seq") << ")\n";
  });
}

}  // namespace

const command kBanCommand{"ban", "ban one identifier", kUsage, run};

}  // namespace banlist::banctl
