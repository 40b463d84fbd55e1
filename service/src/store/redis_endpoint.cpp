// redis_endpoint::parse: "redis://[:password@]host[:port][/db]" and
// "unix:///path/to/socket[?db=N]" (password: "?password=..." or "user:pw@"
// is not supported for unix sockets beyond ?password=).
#include <charconv>

#include "store/store.hpp"

namespace banlist::service {
namespace {

template <class Int>
bool parse_number(std::string_view text, Int& out) {
  if (text.empty())
    return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

// Applies "db=N&password=..." query parameters.
std::expected<void, std::string> apply_query(std::string_view query, redis_endpoint& ep) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return std::unexpected("bad query parameter in redis url");
    const auto name = item.substr(0, eq);
    const auto value = item.substr(eq + 1);
    if (name == "db") {
      if (!parse_number(value, ep.db) || ep.db < 0) {
        return std::unexpected("redis url: db must be a non-negative integer");
      }
    } else if (name == "password") {
      ep.password = std::string(value);
    } else {
      return std::unexpected("redis url: unknown parameter '" + std::string(name) + "'");
    }
  }
  return {};
}

}  // namespace

std::expected<redis_endpoint, std::string> redis_endpoint::parse(std::string_view url) {
  redis_endpoint ep;
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kRedis = "redis://";
  if (url.starts_with(kUnix)) {
    auto rest = url.substr(kUnix.size());
    const auto q = rest.find('?');
    ep.unix_path = std::string(rest.substr(0, q));
    if (ep.unix_path.empty() || ep.unix_path.front() != '/') {
      return std::unexpected("redis url: unix socket path must be absolute (unix:///path)");
    }
    if (q != std::string_view::npos) {
      if (auto r = apply_query(rest.substr(q + 1), ep); !r)
        return std::unexpected(r.error());
    }
    return ep;
  }
  if (!url.starts_with(kRedis)) {
    return std::unexpected("redis url must start with redis:// or unix://");
  }
  auto rest = url.substr(kRedis.size());
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    if (auto r = apply_query(rest.substr(q + 1), ep); !r)
      return std::unexpected(r.error());
    rest = rest.substr(0, q);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto credentials = rest.substr(0, at);
    // "user:password" or ":password"; the user part is ignored (no ACL users).
    if (const auto colon = credentials.find(':'); colon != std::string_view::npos) {
      credentials = credentials.substr(colon + 1);
    }
    ep.password = std::string(credentials);
    rest = rest.substr(at + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const auto db = rest.substr(slash + 1);
    if (!db.empty() && (!parse_number(db, ep.db) || ep.db < 0)) {
      return std::unexpected("redis url: db must be a non-negative integer");
    }
    rest = rest.substr(0, slash);
  }
  if (!rest.empty() && rest.front() == '[') {  // [ipv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
      return std::unexpected("redis url: unclosed '['");
    ep.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !parse_number(rest.substr(1), ep.port) || ep.port == 0) {
        return std::unexpected("redis url: bad port");
      }
    }
  } else {
    const auto colon = rest.rfind(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      if (!parse_number(rest.substr(colon + 1), ep.port) || ep.port == 0) {
        return std::unexpected("redis url: bad port");
      }
    }
  }
  if (ep.host.empty())
    return std::unexpected("redis url: missing host");
  return ep;
}

}  // namespace banlist::service
