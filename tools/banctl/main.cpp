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
const std::array<const command*, 1> kCommands{
    &banlist::banctl::kFingerprintCommand,
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
         "Exit status: 0 done, 1 invalid input (e.g. an identifier that does not\n"
         "normalize), 2 usage error.\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
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
