// banctl status: the list's version and size, the instances serving it and
// how far behind each partner is (GET /v1/status).
#include <ostream>

#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl status\n"
        "\n"
        "Prints the change log's epoch and seq, the number of bans (by type), the\n"
        "banlistd instances (stale ones marked), each partner's acknowledged seq and\n"
        "lag, and the number of open partner reports.\n") +
    std::string(kConnectionOptionsHelp);

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, "status", kUsage, {}, {}, out, err);
  if (!line)
    return line.error();
  if (!line->positional().empty())
    return usage_error(err, "status", "status takes no arguments", kUsage);
  auto s = open_session(*line, "status", err);
  if (!s)
    return s.error();
  auto reply = call(*s, "GET", "/v1/status", err);
  if (!reply)
    return reply.error();
  return print_reply(*s, *reply, out, [&](const rapidjson::Document& doc) {
    out << "epoch:        " << field_text(doc, "epoch") << "\n"
        << "seq:          " << field_text(doc, "seq") << "\n"
        << "head:         " << field_text(doc, "head") << "\n"
        << "digest:       " << field_text(doc, "digest") << "\n"
        << "banned:       " << field_text(doc, "banned") << "\n"
        << "reports open: " << field_text(doc, "reports_open") << "\n";
    if (doc.HasMember("by_type") && doc["by_type"].IsObject()) {
      out << "\n";
      table t({"TYPE", "BANNED"});
      for (const auto& m : doc["by_type"].GetObject())
        t.add_row(
            {std::string(m.name.GetString(), m.name.GetStringLength()), display_text(m.value)});
      t.print(out);
    }
    if (doc.HasMember("instances") && doc["instances"].IsArray()) {
      out << "\ninstances\n";
      table t({"ID", "SEQ", "READY", "SEEN_AT", "STALE"});
      for (const auto& i : doc["instances"].GetArray())
        t.add_row(cells_of(i, {"id", "seq", "ready", "seen_at", "stale"}));
      t.print(out);
    }
    if (doc.HasMember("partners") && doc["partners"].IsArray()) {
      out << "\npartners\n";
      table t({"KEY_ID", "NAME", "ACKED_SEQ", "LAG", "INSTANCE"});
      for (const auto& p : doc["partners"].GetArray())
        t.add_row(cells_of(p, {"key_id", "name", "acked_seq", "lag", "instance"}));
      t.print(out);
    }
  });
}

}  // namespace

const command kStatusCommand{"status", "list version, size, instances and partner lag", kUsage,
                             run};

}  // namespace banlist::banctl
