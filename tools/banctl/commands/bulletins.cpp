// banctl bulletins list|show|create|edit|withdraw: typical-case bulletins
// on the public notice pages (/v1/bulletins).
#include <fstream>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl bulletins list [--limit N] [--cursor C | --all]\n"
        "       banctl bulletins show ID\n"
        "       banctl bulletins create --title TEXT (--body TEXT | --body-file PATH) [--link "
        "FP]...\n"
        "       banctl bulletins edit ID --title TEXT (--body TEXT | --body-file PATH) [--link "
        "FP]...\n"
        "       banctl bulletins withdraw ID\n"
        "\n"
        "Publishes typical-case bulletins on the public pages (moderator key).\n"
        "\n"
        "  list       published bulletins, newest first\n"
        "  show       one published bulletin\n"
        "  create     publish: a one-line title (at most 200 bytes) and a plain-text\n"
        "             body (at most 20,000 bytes; a blank line separates paragraphs;\n"
        "             never HTML); --link FP (repeatable, at most 50) links bans, shown\n"
        "             masked while they are public\n"
        "  edit       replace a bulletin's title, body and links (give all of them)\n"
        "  withdraw   take a bulletin off the pages\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl bulletins create --title 'Fake parcel SMS' --body-file case.txt \\\n"
    "           --link 0123456789abcdef0123456789abcdef\n";

void print_bulletin(std::ostream& out, const rapidjson::Value& b) {
  out << "id:         " << field_text(b, "id") << "\n"
      << "status:     " << field_text(b, "status") << "\n"
      << "title:      " << field_text(b, "title") << "\n"
      << "created_at: " << field_text(b, "created_at") << "\n";
  if (const auto updated = field_text(b, "updated_at"); !updated.empty())
    out << "updated_at: " << updated << "\n";
  if (const auto links = field_text(b, "linked_bans"); !links.empty() && links != "[]")
    out << "linked:     " << links << "\n";
  if (const auto body = field_text(b, "body"); !body.empty())
    out << "\n" << body << "\n";
}

int write_bulletin(const command_line& line, std::string_view method, const std::string& target,
                   std::string_view name, std::ostream& out, std::ostream& err) {
  const auto title = line.value("--title");
  std::optional<std::string> body;
  if (const auto b = line.value("--body"))
    body = std::string(*b);
  if (const auto path = line.value("--body-file")) {
    if (body)
      return usage_error(err, "bulletins", "give --body or --body-file, not both", kUsage);
    std::ifstream in{std::string(*path), std::ios::binary};
    if (!in) {
      err << "banctl bulletins: cannot read " << *path << "\n";
      return kExitInvalidInput;
    }
    std::stringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  if (!title || !body)
    return usage_error(err, "bulletins",
                       std::string(name) + " needs --title and --body (or --body-file)", kUsage);
  auto s = open_session(line, "bulletins " + std::string(name), err);
  if (!s)
    return s.error();
  json_object request;
  request.string("title", *title).string("body", *body);
  const auto links = line.values("--link");
  if (!links.empty())
    request.string_array("linked_bans", links);
  auto reply = call(*s, method, target, err, request.take());
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    out << (method == "POST" ? "published bulletin " : "updated bulletin ") << field_text(doc, "id")
        << "\n";
  });
}

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "bulletins", kUsage,
                            {"--title", "--body", "--body-file", "--link", "--limit", "--cursor"},
                            {"--all"}, out, err);
  if (!line)
    return line.error();
  const auto& pos = line->positional();
  if (pos.empty())
    return usage_error(err, "bulletins", "expected list, show, create, edit or withdraw", kUsage);
  const std::string_view action = pos[0];
  const bool takes_id = action == "show" || action == "edit" || action == "withdraw";
  if (pos.size() != (takes_id ? 2u : 1u)) {
    return usage_error(err, "bulletins",
                       takes_id ? "bulletins " + std::string(action) + " needs the bulletin ID"
                                : "unexpected argument",
                       kUsage);
  }
  if (action == "create")
    return write_bulletin(*line, "POST", "/v1/bulletins", "create", out, err);
  if (action == "edit")
    return write_bulletin(*line, "PUT", "/v1/bulletins/" + url_encode(pos[1]), "edit", out, err);
  if (action == "list") {
    auto s = open_session(*line, "bulletins list", err);
    if (!s)
      return s.error();
    std::string target = "/v1/bulletins";
    add_filters(target, *line, {{"--limit", "limit"}});
    table t({"ID", "CREATED_AT", "UPDATED_AT", "TITLE"});
    std::string next;
    const int rc = list_pages(
        *s, target, paging{"cursor", "next_cursor", "items"}, line->value("--cursor").value_or(""),
        line->flag("--all"), out, err,
        [&](const rapidjson::Value& b) {
          t.add_row(cells_of(b, {"id", "created_at", "updated_at", "title"}));
        },
        next);
    if (rc != kExitOk)
      return rc;
    if (!s->json) {
      t.print(out, 60);
      if (!next.empty())
        err << "more: banctl bulletins list --cursor " << next << " (or --all)\n";
    }
    return kExitOk;
  }
  if (action == "show" || action == "withdraw") {
    auto s = open_session(*line, "bulletins " + std::string(action), err);
    if (!s)
      return s.error();
    auto reply =
        call(*s, action == "show" ? "GET" : "DELETE", "/v1/bulletins/" + url_encode(pos[1]), err);
    if (!reply)
      return reply.error();
    return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
      if (action == "show")
        print_bulletin(out, doc);
      else
        out << "withdrew bulletin " << field_text(doc, "id") << "\n";
    });
  }
  return usage_error(err, "bulletins", "unknown action '" + std::string(action) + "'", kUsage);
}

}  // namespace

const command kBulletinsCommand{"bulletins", "list, show, publish, edit and withdraw bulletins",
                                kUsage, run};

}  // namespace banlist::banctl
