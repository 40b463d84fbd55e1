#include "options.hpp"

#include <charconv>

namespace banlist::banbench {

std::expected<options, std::string> options::parse(int argc, char** argv, int first) {
  options o;
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--") || arg.size() == 2)
      return std::unexpected("unexpected argument '" + std::string(arg) + "'");
    const std::string_view body = arg.substr(2);
    const auto eq = body.find('=');
    if (eq != std::string_view::npos) {
      o.values_.insert_or_assign(std::string(body.substr(0, eq)), std::string(body.substr(eq + 1)));
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
      o.values_.insert_or_assign(std::string(body), std::string(argv[++i]));
    } else {
      o.values_.insert_or_assign(std::string(body), std::string(1, '1'));
    }
  }
  return o;
}

std::string options::text(std::string_view name, std::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second;
}

std::expected<std::uint64_t, std::string> options::number(std::string_view name,
                                                          std::uint64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end())
    return fallback;
  std::uint64_t v = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::unexpected("--" + std::string(name) + " needs a whole number, got '" + s + "'");
  return v;
}

std::expected<double, std::string> options::real(std::string_view name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end())
    return fallback;
  double v = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::unexpected("--" + std::string(name) + " needs a number, got '" + s + "'");
  return v;
}

bool options::flag(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second != "0";
}

}  // namespace banlist::banbench
