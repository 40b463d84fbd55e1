#include "redis_dump.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <boost/asio/use_awaitable.hpp>

#include "run_async.hpp"
#include "store/redis_connection.hpp"

namespace banlist::test {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::awaitable<service::redis_value> checked(std::shared_ptr<service::redis_connection> c,
                                              std::vector<std::string> command) {
  auto reply = co_await c->execute(std::move(command), 10s);
  if (!reply || reply->is_error())
    throw std::runtime_error("redis_dump: a read failed");
  co_return std::move(*reply);
}

// Variadic rather than a braced list: g++ 12 miscompiles braced lists inside
// co_await expressions (docs/decisions.md). Not a coroutine itself.
template <class... Args>
asio::awaitable<service::redis_value> read(std::shared_ptr<service::redis_connection> c,
                                           const Args&... args) {
  return checked(std::move(c), std::vector<std::string>{std::string(args)...});
}

// Every string and integer in `value`, depth first.
void flatten(const service::redis_value& value, std::vector<std::string>& out) {
  if (const auto* s = value.string())
    out.push_back(*s);
  else if (const auto* i = value.integer())
    out.push_back(std::to_string(*i));
  else if (const auto* a = value.array())
    for (const auto& item : *a)
      flatten(item, out);
}

std::vector<std::string> pairs(const std::vector<std::string>& flat, const char* separator) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
    out.push_back(flat[i] + separator + flat[i + 1]);
  return out;
}

}  // namespace

redis_contents redis_dump(const service::redis_endpoint& endpoint) {
  return run_async([&](auto executor) -> asio::awaitable<redis_contents> {
    service::redis_connection::config cfg;
    cfg.endpoint = endpoint;
    auto c = service::redis_connection::create(executor, cfg);
    auto ready = co_await c->wait_connected(10s);
    if (!ready)
      throw std::runtime_error("redis_dump: cannot connect: " + ready.error().message);
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      auto page = co_await read(c, "SCAN", cursor, "COUNT", "1000");
      const auto* parts = page.array();
      if (!parts || parts->size() != 2 || !(*parts)[0].string())
        throw std::runtime_error("redis_dump: bad SCAN reply");
      cursor = *(*parts)[0].string();
      flatten((*parts)[1], keys);
    } while (cursor != "0");

    redis_contents dump;
    for (const auto& key : keys) {
      auto type_reply = co_await read(c, "TYPE", key);
      const std::string type = type_reply.status() ? type_reply.status()->text : "?";
      std::vector<std::string> flat;
      std::vector<std::string> contents;
      if (type == "string") {
        flatten(co_await read(c, "GET", key), contents);
      } else if (type == "hash") {
        flatten(co_await read(c, "HGETALL", key), flat);
        contents = pairs(flat, "=");
        std::sort(contents.begin(), contents.end());
      } else if (type == "set") {
        flatten(co_await read(c, "SMEMBERS", key), contents);
        std::sort(contents.begin(), contents.end());
      } else if (type == "zset") {
        flatten(co_await read(c, "ZRANGE", key, "0", "-1", "WITHSCORES"), flat);
        contents = pairs(flat, " ");
      } else if (type == "list") {
        flatten(co_await read(c, "LRANGE", key, "0", "-1"), contents);
      } else if (type == "stream") {
        auto entries = co_await read(c, "XRANGE", key, "-", "+");
        for (const auto& entry : entries.array() ? *entries.array() : service::redis_array{}) {
          std::vector<std::string> parts;
          flatten(entry, parts);
          if (parts.empty())
            continue;
          const std::vector<std::string> fields(parts.begin() + 1, parts.end());
          std::string line = parts[0];
          for (const auto& pair : pairs(fields, "="))
            line += " " + pair;
          contents.push_back(std::move(line));
        }
      } else {
        throw std::runtime_error("redis_dump: key " + key + " has unexpected type " + type);
      }
      contents.insert(contents.begin(), type);
      dump.emplace(key, std::move(contents));
    }
    co_return dump;
  });
}

redis_contents without(redis_contents dump, bool (*skip)(const std::string& key)) {
  std::erase_if(dump, [skip](const auto& entry) { return skip(entry.first); });
  return dump;
}

}  // namespace banlist::test
