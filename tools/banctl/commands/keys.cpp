// banctl keys create|list|revoke: API key administration (admin keys only).
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl keys create --role ROLE --name NAME\n"
        "       banctl keys list\n"
        "       banctl keys revoke ID\n"
        "\n"
        "Issues, lists and revokes API keys; needs an admin key.\n"
        "\n"
        "  create   issue a key; ROLE is partner, moderator or admin, NAME says whose\n"
        "           it is (at most 128 characters). The secret is printed ONCE, on\n"
        "           stdout: store it now, the service keeps only its hash\n"
        "  list     every key with its id, role, name and whether it is revoked\n"
        "           (never a secret)\n"
        "  revoke   revoke the key with this id (as `keys list` shows it); effective at\n"
        "           once on the answering instance, within seconds on the others\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Example: banctl keys create --role partner --name 'Shop A' > shop-a.key\n"
    "Exit status: 0 done, 3 not an admin key, 4 no such key id, see `banctl help`.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "keys", kUsage, {"--role", "--name"}, {}, out, err);
  if (!line)
    return line.error();
  const auto& pos = line->positional();
  if (pos.empty())
    return usage_error(err, "keys", "expected create, list or revoke", kUsage);
  const std::string_view action = pos[0];
  if (action == "create") {
    const auto role = line->value("--role");
    const auto name = line->value("--name");
    if (!role || !name || pos.size() != 1)
      return usage_error(err, "keys", "keys create needs --role and --name", kUsage);
    auto s = open_session(*line, "keys create", err);
    if (!s)
      return s.error();
    auto reply = call(*s, "POST", "/v1/keys", err,
                      json_object().string("role", *role).string("name", *name).take());
    if (!reply)
      return reply.error();
    return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
      err << "key " << field_text(doc, "id") << " (" << field_text(doc, "role") << ", "
          << field_text(doc, "name")
          << ") issued; its secret follows on stdout and is shown only this once\n";
      out << field_text(doc, "key") << "\n";
    });
  }
  if (action == "list") {
    if (pos.size() != 1)
      return usage_error(err, "keys", "keys list takes no arguments", kUsage);
    auto s = open_session(*line, "keys list", err);
    if (!s)
      return s.error();
    auto reply = call(*s, "GET", "/v1/keys", err);
    if (!reply)
      return reply.error();
    return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
      table t({"ID", "ROLE", "NAME", "CREATED_AT", "REVOKED"});
      if (doc.IsObject() && doc.HasMember("keys") && doc["keys"].IsArray()) {
        for (const auto& k : doc["keys"].GetArray())
          t.add_row(cells_of(k, {"id", "role", "name", "created_at", "revoked"}));
      }
      t.print(out);
    });
  }
  if (action == "revoke") {
    if (pos.size() != 2)
      return usage_error(err, "keys", "keys revoke needs the key ID", kUsage);
    auto s = open_session(*line, "keys revoke", err);
    if (!s)
      return s.error();
    auto reply = call(*s, "DELETE", "/v1/keys/" + url_encode(pos[1]), err);
    if (!reply)
      return reply.error();
    return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
      out << "revoked key " << field_text(doc, "id") << "\n";
    });
  }
  return usage_error(err, "keys", "unknown action '" + std::string(action) + "'", kUsage);
}

}  // namespace

const command kKeysCommand{"keys", "create, list and revoke API keys (admin)", kUsage, run};

}  // namespace banlist::banctl
