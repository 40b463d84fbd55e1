// Test support: run redis-cli against a fixture's Redis and read what it
// prints, for tests that look at Redis from outside banlistd (command
// statistics, raw keys). Not thread-safe; test thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "service_fixture.hpp"

namespace banlist::test {

// Output (stdout and stderr) of `redis-cli -s SOCKET args`.
inline std::string redis_cli(service_fixture& f, const std::string& args) {
  const std::string cmd = "redis-cli -s '" + f.redis().unix_path() + "' " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr)
    throw std::runtime_error("popen redis-cli");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  ::pclose(pipe);
  return out;
}

}  // namespace banlist::test
