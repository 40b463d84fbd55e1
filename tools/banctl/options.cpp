#include "options.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace banlist::banctl {

parsed_args parse_args(command_args args, std::initializer_list<std::string_view> with_value) {
  parsed_args parsed;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || !arg.starts_with("-") || arg == "-") {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const bool takes_value =
        std::find(with_value.begin(), with_value.end(), name) != with_value.end();
    if (takes_value && !value) {
      if (i + 1 == args.size()) {
        parsed.error = std::string("option ").append(name).append(" needs a value");
        return parsed;
      }
      value = args[++i];
    }
    if (!takes_value && value) {
      parsed.error = std::string("option ").append(name).append(" takes no value");
      return parsed;
    }
    parsed.options.emplace_back(name, value);
  }
  return parsed;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty())
    return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace banlist::banctl

namespace banlist::banctl {
namespace {
constexpr std::array<std::string_view, 4> kCommonValues{"--url", "--key", "--key-file",
                                                        "--timeout"};
constexpr std::array<std::string_view, 3> kCommonFlags{"--json", "--help", "-h"};
}  // namespace

std::optional<command_line> command_line::parse(command_args args,
                                                std::initializer_list<std::string_view> with_value,
                                                std::initializer_list<std::string_view> flags,
                                                std::string& error) {
  std::vector<std::string_view> all_values(with_value);
  all_values.insert(all_values.end(), kCommonValues.begin(), kCommonValues.end());
  // parse_args takes an initializer_list; find the options taking values here instead.
  command_line line;
  parsed_args& parsed = line.parsed_;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || !arg.starts_with("-") || arg == "-" ||
        (arg.size() > 1 && arg[1] >= '0' && arg[1] <= '9')) {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const bool takes_value =
        std::find(all_values.begin(), all_values.end(), name) != all_values.end();
    const bool is_flag =
        std::find(flags.begin(), flags.end(), name) != flags.end() ||
        std::find(kCommonFlags.begin(), kCommonFlags.end(), name) != kCommonFlags.end();
    if (!takes_value && !is_flag) {
      error = std::string("unknown option ").append(name);
      return std::nullopt;
    }
    if (takes_value && !value) {
      if (i + 1 == args.size()) {
        error = std::string("option ").append(name).append(" needs a value");
        return std::nullopt;
      }
      value = args[++i];
    }
    if (!takes_value && value) {
      error = std::string("option ").append(name).append(" takes no value");
      return std::nullopt;
    }
    parsed.options.emplace_back(name, value);
  }
  return line;
}

bool command_line::flag(std::string_view name) const {
  return std::any_of(parsed_.options.begin(), parsed_.options.end(),
                     [&](const auto& o) { return o.first == name; });
}

std::optional<std::string_view> command_line::value(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [n, v] : parsed_.options) {
    if (n == name)
      found = v;
  }
  return found;
}

std::vector<std::string_view> command_line::values(std::string_view name) const {
  std::vector<std::string_view> found;
  for (const auto& [n, v] : parsed_.options) {
    if (n == name && v)
      found.push_back(*v);
  }
  return found;
}

}  // namespace banlist::banctl
