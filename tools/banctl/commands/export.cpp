// banctl export: the ban list as NDJSON or CSV (GET /v1/bans/export),
// streamed to stdout or a file, masked unless --raw (admin keys; audited).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>

#include "../progress.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl export [--format ndjson|csv] [--type T] [--reason R] [--case ID]\n"
        "                     [--since TIME] [--until TIME] [--status banned|lifted|all]\n"
        "                     [--raw] [-o FILE]\n"
        "\n"
        "Writes every matching ban, streamed, as NDJSON (default) or CSV. Identifiers\n"
        "are masked; --raw adds the normalized identifier, needs an admin key and is\n"
        "recorded in the audit log with its filters (the handover to law enforcement).\n"
        "The NDJSON export ends with {\"summary\":{\"rows\":N,\"complete\":true}}.\n"
        "\n"
        "  --format F       ndjson or csv\n"
        "  --type, --reason, --case  only bans with this type, reason, case id\n"
        "  --since, --until TIME  banned in this range: unix seconds, RFC 3339, or a\n"
        "                   span back from now (30d)\n"
        "  --status S       banned (default), lifted or all\n"
        "  --raw            include raw identifiers (admin)\n"
        "  -o FILE          write to FILE (via FILE.part, renamed once complete)\n"
        "                   instead of stdout\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "With -o, a progress line (rows, rate) is drawn on stderr when it is a terminal.\n"
    "Exit status: 0 complete, 3 --raw without an admin key, 6 the export ended\n"
    "incomplete (Redis failed mid-way; FILE.part is kept), 7 network, see `banctl help`.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  auto line = parse_command(
      args, "export", kUsage,
      {"--format", "--type", "--reason", "--case", "--since", "--until", "--status", "-o"},
      {"--raw"}, out, err);
  if (!line)
    return line.error();
  if (!line->positional().empty())
    return usage_error(err, "export", "export takes no arguments, only options", kUsage);
  const std::string format(line->value("--format").value_or("ndjson"));
  if (format != "ndjson" && format != "csv")
    return usage_error(err, "export", "--format is ndjson or csv", kUsage);
  std::string target = "/v1/bans/export";
  add_query(target, "format", format);
  add_filters(
      target, *line,
      {{"--type", "type"}, {"--reason", "reason"}, {"--case", "case_id"}, {"--status", "status"}});
  for (const auto& [option, query] :
       {std::pair{"--since", "since"}, std::pair{"--until", "until"}}) {
    if (const auto v = line->value(option)) {
      const auto t = parse_time(*v, false);
      if (!t)
        return usage_error(err, "export",
                           std::string(option) + " takes unix seconds, RFC 3339 or 30d", kUsage);
      add_query(target, query, std::to_string(*t));
    }
  }
  if (line->flag("--raw"))
    add_query(target, "raw", "true");
  auto s = open_session(*line, "export", err);
  if (!s)
    return s.error();

  const auto path = line->value("-o");
  const std::string part = path ? std::string(*path) + ".part" : std::string();
  std::ofstream file;
  if (path) {
    file.open(part, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "banctl export: cannot write " << part << "\n";
      return kExitInvalidInput;
    }
  }
  std::ostream& sink = path ? static_cast<std::ostream&>(file) : out;
  progress bar(err, "export", 0, "rows", path && progress::stderr_is_terminal());
  std::uint64_t rows = 0;
  std::string last_line;  // the last complete line, to judge completeness
  std::string partial;
  auto reply = s->client.download(target, [&](std::string_view data) {
    sink.write(data.data(), static_cast<std::streamsize>(data.size()));
    partial += data;
    std::size_t start = 0;
    for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      last_line.assign(partial, start, nl - start);
      ++rows;
    }
    partial.erase(0, start);
    bar.update(rows);
    return static_cast<bool>(sink);
  });
  bar.finish();
  if (!reply) {
    report_transport_error(err, *s, reply.error());
    if (path)
      err << "banctl export: the partial export is in " << part << "\n";
    return kExitNetwork;
  }
  if (reply->status < 200 || reply->status >= 300) {
    if (path) {
      file.close();
      std::filesystem::remove(part);
    }
    return report_reply_error(err, *s, *reply);
  }
  if (!partial.empty())
    last_line = partial;
  bool complete = false;
  if (format == "ndjson") {
    if (const auto doc = parse_json(last_line); doc && doc->IsObject() && doc->HasMember("summary"))
      complete = field_text((*doc)["summary"], "complete") == "true";
  } else {
    complete = last_line.rfind("# incomplete", 0) != 0;
  }
  sink.flush();
  if (!sink) {
    err << "banctl export: writing the output failed (disk full?)\n";
    return kExitInvalidInput;
  }
  if (!complete) {
    err << "banctl export: the export ended incomplete (the server lost Redis mid-way)"
        << (path ? "; what arrived is in " + part : std::string()) << " — run it again\n";
    return kExitUnavailable;
  }
  if (path) {
    file.close();
    std::error_code ec;
    std::filesystem::rename(part, std::string(*path), ec);
    if (ec) {
      err << "banctl export: cannot rename " << part << ": " << ec.message() << "\n";
      return kExitInvalidInput;
    }
    err << "banctl export: " << rows << " lines written to " << *path << "\n";
  }
  return kExitOk;
}

}  // namespace

const command kExportCommand{"export", "export bans as NDJSON or CSV (masked; --raw for admins)",
                             kUsage, run};

}  // namespace banlist::banctl
