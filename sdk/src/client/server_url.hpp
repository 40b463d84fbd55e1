// The server base URL a client is configured with: scheme (http or https),
// host, port and an optional path prefix. Pure value type and function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace banlist::sdk::detail {

struct server_url {
  bool tls = true;
  std::string host;
  std::string port;         // "443", "80" or as given
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)
};

// Parses "https://host[:port][/prefix]" or "http://..."; IPv6 hosts in
// brackets. Returns nullopt for anything else (other schemes, user info,
// queries, empty host, bad port).
std::optional<server_url> parse_server_url(std::string_view text);

}  // namespace banlist::sdk::detail
