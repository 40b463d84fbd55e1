#include "server_url.hpp"

#include <cstdio>

namespace banlist::banctl {

std::expected<server_url, std::string> parse_server_url(std::string_view text) {
  server_url url;
  url.text = std::string(text);
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else {
    return std::unexpected("the URL '" + url.text +
                           "' must start with http:// or https:// (check --url / BANLIST_URL)");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (path.ends_with("/"))
      path.remove_suffix(1);
    if (path.find_first_of("?#") != std::string_view::npos)
      return std::unexpected("the URL '" + url.text + "' must not carry a query or fragment");
    url.prefix = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos)
    return std::unexpected("the URL must not carry credentials; give the key with BANLIST_KEY");
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::unexpected("the URL '" + url.text + "' has an unclosed '[' in its host");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (after.starts_with(":"))
      port = after.substr(1);
    else if (!after.empty())
      return std::unexpected("the URL '" + url.text + "' has junk after its host");
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return std::unexpected("the URL '" + url.text + "' names no host");
  if (port.empty() && authority.ends_with(":"))
    return std::unexpected("the URL '" + url.text + "' has an empty port");
  for (const char c : port) {
    if (c < '0' || c > '9')
      return std::unexpected("the URL '" + url.text + "' has a port that is not a number");
  }
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return url;
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace banlist::banctl
