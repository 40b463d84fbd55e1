#include "server_url.hpp"

#include <algorithm>
#include <charconv>

namespace banlist::sdk::detail {

std::optional<server_url> parse_server_url(std::string_view text) {
  server_url url;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    url.tls = false;
    text.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : text.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos)
    return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
  }
  if (url.host.empty())
    return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    url.port = std::string(port);
  } else {
    url.port = url.tls ? "443" : "80";
  }
  while (path.ends_with('/'))
    path.remove_suffix(1);
  url.path_prefix = std::string(path);
  return url;
}

}  // namespace banlist::sdk::detail
