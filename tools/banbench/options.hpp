// options: the `--name value` arguments of one banbench subcommand.
//
// Thread-safety: a plain value; read-only after parsing.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace banlist::banbench {

class options {
 public:
  // Parses argv[first..argc) as `--name value` pairs (and `--name` alone for
  // flags, which get "1"). Returns a message for a stray positional word.
  static std::expected<options, std::string> parse(int argc, char** argv, int first);

  std::string text(std::string_view name, std::string_view fallback) const;
  // Returns `fallback` when absent; fails on a value that is not a number.
  std::expected<std::uint64_t, std::string> number(std::string_view name,
                                                   std::uint64_t fallback) const;
  std::expected<double, std::string> real(std::string_view name, double fallback) const;
  bool flag(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace banlist::banbench
