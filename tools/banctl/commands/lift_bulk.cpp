// banctl lift-bulk: bulk lift from a CSV or NDJSON file (POST /v1/bans/lift),
// with import's resume, reject file and circuit breaker.
#include <ostream>

#include "../bulk_job.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace banlist::banctl {

int run_bulk_command(command_args args, std::string_view name, std::string_view usage,
                     const bulk_operation& op, std::ostream& out, std::ostream& err);

namespace {

const std::string kUsage =
    std::string(
        "usage: banctl lift-bulk FILE [--format csv|ndjson] [--confirm] [--rejects PATH]\n"
        "                        [--restart] [--max-rate N]\n"
        "\n"
        "Lifts every ban FILE names, streamed, like `banctl import` in reverse.\n"
        "  CSV: a header naming fp, or type,value; optional reason, case_id columns:\n"
        "      fp,reason,case_id\n"
        "      0123456789abcdef0123456789abcdef,appeal_granted,A-9\n"
        "  NDJSON: {\"fp\":\"...\"} or {\"type\":\"phone\",\"value\":\"...\"} per line, with\n"
        "      optional \"reason\" (appeal_granted, mistake, expired, reassigned, other)\n"
        "      and \"case_id\"\n"
        "\n"
        "Per line the server answers lifted, not_banned or invalid; invalid lines go to\n"
        "the reject file (default FILE.lift-bulk.rejects). Progress is saved in\n"
        "FILE.lift-bulk.state: after an interruption run the same command again to\n"
        "resume. --confirm is needed to lift more than 10% of the list at once.\n"
        "\n"
        "  --format, --confirm, --rejects, --restart, --max-rate  as in `banctl import`\n") +
    std::string(kConnectionOptionsHelp) +
    "\n"
    "Exit status: 0 done, 1 some lines invalid, 5 --confirm needed, 6 or 7\n"
    "interrupted (run it again to resume), see `banctl help`.\n";

int run(command_args args, std::ostream& out, std::ostream& err) {
  return run_bulk_command(args, "lift-bulk", kUsage, bulk_operation{"lift-bulk", "/v1/bans/lift"},
                          out, err);
}

}  // namespace

const command kLiftBulkCommand{"lift-bulk", "bulk lift from a CSV or NDJSON file (resumable)",
                               kUsage, run};

}  // namespace banlist::banctl
