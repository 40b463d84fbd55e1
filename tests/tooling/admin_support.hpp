// Test support for the issue 7 admin route tests: NDJSON replies split into
// lines, JSON field readers, the log head, and redis-cli for looking at the
// keys directly. Not thread-safe: used by one test thread.
#pragma once

#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "service_fixture.hpp"

namespace banlist::test {

struct lines_reply {
  http_reply raw;
  std::vector<std::string> lines;  // the body split at '\n'
};

inline lines_reply split_lines(http_reply raw) {
  lines_reply r;
  r.raw = std::move(raw);
  std::istringstream in(r.raw.body);
  for (std::string line; std::getline(in, line);)
    r.lines.push_back(line);
  return r;
}

inline lines_reply send_body(service_fixture& f, const std::string& target, const std::string& key,
                             const std::string& content_type, const std::string& body) {
  auto c = f.client();
  return split_lines(c.request(boost::beast::http::verb::post, target, key, body,
                               {{"Content-Type", content_type}}));
}

inline lines_reply get_lines(service_fixture& f, const std::string& target,
                             const std::string& key) {
  auto c = f.client();
  return split_lines(c.get(target, key));
}

inline std::string field(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  std::string_view v;
  if (p.parse(json).at_pointer(pointer).get(v))
    return {};
  return std::string(v);
}

inline std::uint64_t number(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  std::uint64_t v = 0;
  if (p.parse(json).at_pointer(pointer).get(v))
    return ~0ull;
  return v;
}

inline bool has(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  simdjson::dom::element e;
  return !p.parse(json).at_pointer(pointer).get(e);
}

// The change log's head as Redis holds it.
inline std::uint64_t log_head(service_fixture& f) {
  auto c = f.client();
  auto reply = c.get("/v1/deltas?since=0&limit=1", kAdminKey);
  if (reply.status != 200)
    throw std::runtime_error("deltas: " + reply.body);
  std::uint64_t seq = 0;
  if (reply.json()["head"].get(seq))
    throw std::runtime_error("deltas: no head");
  return seq;
}

// Runs redis-cli against the fixture's Redis; returns its output.
inline std::string redis_cli(service_fixture& f, const std::string& args) {
  const std::string cmd = "redis-cli -s '" + f.redis().unix_path() + "' " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p)
    throw std::runtime_error("popen redis-cli");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

}  // namespace banlist::test
