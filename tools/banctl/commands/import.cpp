// banctl import: bulk ban from a CSV or NDJSON file (POST /v1/bans/import),
// resumable, with a reject file. The machinery is in bulk_job.
#include <charconv>
#include <ostream>

#include "../bulk_job.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {
namespace {

const std::string kUsage =
    std::string(
        "usage: banctl import FILE [--format csv|ndjson] [--confirm] [--rejects PATH]\n"
        "                     [--restart] [--max-rate N]\n"
        "\n"
        "Bans every line of FILE, streamed (the file is never loaded whole).\n"
        "  CSV (FILE.csv): a header line naming columns among type, value, reason,\n"
        "    note, case_id, source, public, expires_at (type, value, reason required):\n"
        "      type,value,reason,case_id\n"
        "      phone,13800138000,telecom_fraud,C-17\n"
        "  NDJSON (FILE.ndjson / .jsonl): one `banctl ban` object per line:\n"
        "      {\"type\":\"email\",\"value\":\"a@example.com\",\"reason\":\"phishing\"}\n"
        "\n"
        "Each line is validated like `banctl ban`. Rejected lines go, with their error,\n"
        "to the reject file (default FILE.import.rejects; CSV input gives a CSV with\n"
        "line,error_code,error_message in front of the original columns; NDJSON one\n"
        "{line,code,message,input} object per line). Fix them there and import again.\n"
        "\n"
        "Resume: progress is saved in FILE.import.state as lines are acknowledged. If\n"
        "the run is interrupted (Ctrl-C, network, server or Redis down), run the SAME\n"
        "command again: it continues at the first line the server did not acknowledge.\n"
        "A changed FILE (size, mtime or content) starts over from line 1 (harmless:\n"
        "banning a banned identifier changes nothing).\n"
        "\n"
        "  --format F     csv or ndjson, when the file name does not say\n"
        "  --confirm      allow a change of more than 10% of the list (the circuit\n"
        "                 breaker; without it such an import stops before any change,\n"
        "                 exit 5); confirmed imports are audited\n"
        "  --rejects PATH write rejected lines to PATH\n"
        "  --restart      ignore saved progress and start at line 1\n"
        "  --max-rate N   send at most N lines per second (spare a busy server)\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "A progress bar with rate and ETA is drawn on stderr when it is a terminal.\n"
    "Exit status: 0 every line banned (or already banned), 1 some lines rejected\n"
    "(see the reject file), 5 --confirm needed, 6 or 7 interrupted (run it again to\n"
    "resume), see `banctl help`.\n";

}  // namespace

// Shared by import and lift-bulk: parses their common options.
int run_bulk_command(command_args args, std::string_view name, std::string_view usage,
                     const bulk_operation& op, std::ostream& out, std::ostream& err) {
  auto line = parse_command(args, name, usage, {"--format", "--rejects", "--max-rate"},
                            {"--confirm", "--restart"}, out, err);
  if (!line)
    return line.error();
  if (line->positional().size() != 1)
    return usage_error(err, name, "expected one FILE", usage);
  bulk_options options;
  options.file = std::string(line->positional()[0]);
  if (const auto f = line->value("--format")) {
    if (*f != "csv" && *f != "ndjson")
      return usage_error(err, name, "--format is csv or ndjson", usage);
    options.format = std::string(*f);
  }
  if (const auto r = line->value("--rejects"))
    options.rejects = std::string(*r);
  if (const auto m = line->value("--max-rate")) {
    const auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), options.max_rate);
    if (ec != std::errc() || end != m->data() + m->size())
      return usage_error(err, name, "--max-rate takes a number of lines per second", usage);
  }
  options.confirm = line->flag("--confirm");
  options.restart = line->flag("--restart");
  auto s = open_session(*line, name, err);
  if (!s)
    return s.error();
  return run_bulk(*s, op, options, out, err);
}

namespace {
int run(command_args args, std::ostream& out, std::ostream& err) {
  return run_bulk_command(args, "import", kUsage, bulk_operation{"import", "/v1/bans/import"}, out,
                          err);
}
}  // namespace

const command kImportCommand{"import", "bulk ban from a CSV or NDJSON file (resumable)", kUsage,
                             run};

}  // namespace banlist::banctl
