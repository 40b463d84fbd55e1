// Test support: one Redis command straight to a test's redis-server (to
// judge what the service wrote: the change log, indexes, memory), and the
// change log decoded. Blocking; not thread-safe (one call at a time).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_async.hpp"
#include "store/record_codec.hpp"
#include "store/redis_connection.hpp"

namespace banlist::test {

inline service::redis_value redis_cmd(const service::redis_endpoint& endpoint,
                                      std::vector<std::string> args) {
  return run_async([&](auto executor) -> boost::asio::awaitable<service::redis_value> {
    service::redis_connection::config cfg;
    cfg.endpoint = endpoint;
    auto c = service::redis_connection::create(executor, cfg);
    auto ready = co_await c->wait_connected(std::chrono::seconds(10));
    if (!ready)
      throw std::runtime_error("redis_cmd: cannot connect: " + ready.error().message);
    auto reply = co_await c->execute(args, std::chrono::seconds(10));
    c->close();
    if (!reply)
      throw std::runtime_error("redis_cmd: " + reply.error().message);
    co_return std::move(*reply);
  });
}

inline std::int64_t redis_int(const service::redis_endpoint& endpoint,
                              std::vector<std::string> args) {
  auto v = redis_cmd(endpoint, std::move(args));
  if (const auto* n = v.integer())
    return *n;
  if (const auto* s = v.string())
    return service::parse_i64(*s).value_or(-1);
  return v.is_nil() ? 0 : -1;
}

// Every entry of bl:log, oldest first, each with its digest.
inline std::vector<service::change> change_log(const service::redis_endpoint& endpoint) {
  auto reply = redis_cmd(endpoint, {"XRANGE", "bl:log", "-", "+"});
  std::vector<service::change> out;
  if (!reply.array())
    throw std::runtime_error("change_log: XRANGE failed");
  for (const auto& entry : *reply.array()) {
    auto c = service::decode_change(entry);
    if (!c)
      throw std::runtime_error("change_log: undecodable entry");
    out.push_back(std::move(*c));
  }
  // The digests the log leaves out (all but every 16th), computed.
  const bool from_start = !out.empty() && out.front().seq == 1;
  if (!service::resolve_digests(out, from_start ? std::optional(fingerprint{}) : std::nullopt))
    throw std::runtime_error("change_log: digests cannot be computed");
  return out;
}

}  // namespace banlist::test
