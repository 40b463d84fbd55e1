#include "options.hpp"

#include <algorithm>
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
