// banctl: the moderator and admin command-line tool. This file only finds
// the command and hands it the rest of the command line.
#include <algorithm>
#include <array>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "commands/commands.hpp"

namespace {

using banlist::banctl::command;

// Every command, in the order `banctl help` lists them.
const std::array<const command*, 14> kCommands{
    &banlist::banctl::kBanCommand,      &banlist::banctl::kLiftCommand,
    &banlist::banctl::kShowCommand,     &banlist::banctl::kHistoryCommand,
    &banlist::banctl::kListCommand,     &banlist::banctl::kImportCommand,
    &banlist::banctl::kLiftBulkCommand, &banlist::banctl::kExportCommand,
    &banlist::banctl::kKeysCommand,     &banlist::banctl::kAuditCommand,
    &banlist::banctl::kReportsCommand,  &banlist::banctl::kBulletinsCommand,
    &banlist::banctl::kStatusCommand,   &banlist::banctl::kFingerprintCommand,
};

const command* find_command(std::string_view name) {
  for (const command* c : kCommands) {
    if (c->name == name)
      return c;
  }
  return nullptr;
}

void print_usage(std::ostream& out) {
  out << "usage: banctl COMMAND [ARGS...]\n"
         "       banctl help [COMMAND]\n"
         "\n"
         "commands:\n";
  for (const command* c : kCommands) {
    out << "  " << c->name << std::string(14 - std::min<std::size_t>(13, c->name.size()), ' ')
        << c->summary << "\n";
  }
  out << "\n"
         "`banctl help COMMAND` (or `banctl COMMAND --help`) shows a command's options.\n"
         "\n"
         "Server and key: --url URL or $BANLIST_URL (default http://127.0.0.1:8080);\n"
         "$BANLIST_KEY or --key-file PATH (--key KEY also works but is visible in the\n"
         "process list). https:// verifies the server certificate ($BANLIST_CA_FILE\n"
         "for a private CA). Tables by default; --json prints the server's JSON.\n"
         "\n"
         "Exit status:\n"
         "  0  done\n"
         "  1  invalid input: the server refused a value, or an import had rejected lines\n"
         "  2  usage error (bad command line, missing key or URL)\n"
         "  3  401/403: key unknown, revoked, or its role too small\n"
         "  4  404: no such ban, key, report or bulletin\n"
         "  5  409: conflict (already decided), or --confirm needed for a bulk change\n"
         "  6  server or Redis unavailable (5xx), or an import/export ended incomplete\n"
         "     (run the same command again to resume)\n"
         "  7  network: cannot connect, connection broken, or timeout\n"
         "Guide with examples: docs/banctl.md.\n";
}

// Overwrites the value of --key in the process's own argv, so other users'
// `ps` stops showing the secret as soon as banctl has copied it.
void scrub_key(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    char* secret = nullptr;
    if (arg == "--key" && i + 1 < argc)
      secret = argv[i + 1];
    else if (arg.starts_with("--key="))
      secret = argv[i] + 6;
    for (; secret != nullptr && *secret != '\0'; ++secret)
      *secret = 'x';
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> owned(argv + 1, argv + argc);
  scrub_key(argc, argv);
  const std::vector<std::string_view> args(owned.begin(), owned.end());
  if (args.empty()) {
    print_usage(std::cerr);
    return banlist::banctl::kExitUsage;
  }
  const std::string_view name = args[0];
  if (name == "help" || name == "--help" || name == "-h") {
    if (args.size() >= 2) {
      if (const command* c = find_command(args[1])) {
        std::cout << c->usage;
        return banlist::banctl::kExitOk;
      }
      std::cerr << "banctl: unknown command '" << args[1] << "'\n\n";
      print_usage(std::cerr);
      return banlist::banctl::kExitUsage;
    }
    print_usage(std::cout);
    return banlist::banctl::kExitOk;
  }
  const command* c = find_command(name);
  if (c == nullptr) {
    std::cerr << "banctl: unknown command '" << name << "'\n\n";
    print_usage(std::cerr);
    return banlist::banctl::kExitUsage;
  }
  return c->run(banlist::banctl::command_args(args).subspan(1), std::cout, std::cerr);
}
