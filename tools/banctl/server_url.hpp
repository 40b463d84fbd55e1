// server_url: the parts of a banlistd base URL (http or https, host, port,
// optional path prefix). Plain value, pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace banlist::banctl {

struct server_url {
  bool tls = false;
  std::string host;
  std::string port;    // "80" / "443" when the URL names none
  std::string prefix;  // path before /v1/..., without a trailing '/'; usually empty
  std::string text;    // as given, for messages
};

// Parses "http://host[:port][/prefix]" or "https://...". The error says what
// is wrong in words a user can act on.
std::expected<server_url, std::string> parse_server_url(std::string_view text);

// Percent-encodes a query parameter value or path segment (RFC 3986
// unreserved characters pass through).
std::string url_encode(std::string_view text);

}  // namespace banlist::banctl
