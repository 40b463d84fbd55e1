// Per-key rate limits (issue 8, docs/decisions.md "Per-key rate limits"): set
// on a key when it is issued, none by default; enforced per key id with 429
// and Retry-After, exactly, across keep-alive connections, several
// connections and HTTP pipelining.
#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "key_rate_limiter.hpp"
#include "redis_dump.hpp"
#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

const std::string kCheck = "/v1/check?fp=" + std::string(32, 'c');

struct limited_key {
  std::string secret;
  std::string id;
};

limited_key issue_limited(service_fixture& f, int per_minute, int burst) {
  auto c = f.client();
  auto r = c.post("/v1/keys", kAdminKey,
                  R"({"role":"partner","name":"limited","rate_limit":{"per_minute":)" +
                      std::to_string(per_minute) + R"(,"burst":)" + std::to_string(burst) + "}}");
  if (r.status != 201)
    throw std::runtime_error("issue_limited: " + r.body);
  return {json_string(r, "/key"), json_string(r, "/id")};
}

// Sends `count` GET requests in one write on one connection and returns the
// statuses and Retry-After values of the `count` responses, in order.
std::vector<std::pair<unsigned, std::string>> pipelined(std::uint16_t port, const std::string& key,
                                                        int count) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    bytes += "GET " + kCheck + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n\r\n";
  }
  boost::asio::write(socket, boost::asio::buffer(bytes));
  boost::beast::flat_buffer buffer;
  std::vector<std::pair<unsigned, std::string>> out;
  for (int i = 0; i < count; ++i) {
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    out.emplace_back(res.result_int(), std::string(res[http::field::retry_after]));
  }
  return out;
}

}  // namespace

TEST_CASE("key_rate_limiter: burst, refill, Retry-After, bounded table", "[auth]") {
  using clock = service::key_rate_limiter::clock;
  service::key_rate_limiter limiter(2);
  const auto t0 = clock::now();
  const service::key_rate_limit limit{60, 3};  // one a second, three at once
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(limiter.take("a", limit, t0));
  auto wait = limiter.take("a", limit, t0);
  REQUIRE(wait);
  CHECK(*wait == 1s);
  CHECK_FALSE(limiter.take("a", limit, t0 + 1s));  // one token refilled
  CHECK(limiter.take("a", limit, t0 + 1s));
  // A slow key: one a minute, so the wait is a minute.
  const service::key_rate_limit slow{1, 1};
  CHECK_FALSE(limiter.take("b", slow, t0));
  wait = limiter.take("b", slow, t0);
  REQUIRE(wait);
  CHECK(*wait == 60s);
  // The table is full (2 keys): a third key evicts the refilled bucket of
  // "a" but keeps "b", still empty, so "b" stays limited.
  CHECK_FALSE(limiter.take("c", limit, t0 + 10s));
  CHECK(limiter.take("b", slow, t0 + 10s));
}

TEST_CASE("per-key rate limit: issued, stored, listed, validated", "[http][redis][auth]") {
  service_fixture f;
  auto c = f.client();
  const auto key = issue_limited(f, 120, 10);
  auto list = c.get("/v1/keys", kAdminKey);
  REQUIRE(list.status == 200);
  simdjson::dom::array keys;
  REQUIRE_FALSE(list.json()["keys"].get(keys));
  int limited = 0, unlimited = 0;
  for (auto k : keys) {
    std::string_view id;
    REQUIRE_FALSE(k["id"].get(id));
    if (id == key.id) {
      std::uint64_t per_minute = 0, burst = 0;
      REQUIRE_FALSE(k["rate_limit"]["per_minute"].get(per_minute));
      REQUIRE_FALSE(k["rate_limit"]["burst"].get(burst));
      CHECK(per_minute == 120);
      CHECK(burst == 10);
      ++limited;
    } else {
      CHECK(k["rate_limit"].is_null());  // none by default
      ++unlimited;
    }
  }
  CHECK(limited == 1);
  CHECK(unlimited == 1);  // the bootstrap admin key

  // The record in Redis carries the limit.
  const auto dump = redis_dump(f.redis().endpoint());
  bool stored = false;
  for (const auto& [name, contents] : dump) {
    if (!name.starts_with("bl:key:"))
      continue;
    const bool is_it =
        std::find(contents.begin(), contents.end(), "id=" + key.id) != contents.end();
    if (is_it) {
      stored =
          std::find(contents.begin(), contents.end(), "rate_per_minute=120") != contents.end() &&
          std::find(contents.begin(), contents.end(), "rate_burst=10") != contents.end();
    }
  }
  CHECK(stored);

  const std::vector<std::pair<std::string, std::string>> bad{
      {R"({"per_minute":0,"burst":1})", "invalid_field"},
      {R"({"per_minute":-5,"burst":1})", "invalid_field"},
      {R"({"per_minute":1000001,"burst":1})", "invalid_field"},
      {R"({"per_minute":10,"burst":0})", "invalid_field"},
      {R"({"per_minute":10,"burst":100001})", "invalid_field"},
      {R"({"per_minute":"10","burst":1})", "invalid_field"},
      {R"({"per_minute":1.5,"burst":1})", "invalid_field"},
      {R"({"per_minute":10})", "invalid_field"},
      {R"("10/min")", "invalid_field"},
      {R"({"per_minute":10,"burst":5,"window":60})", "unknown_field"},
  };
  for (const auto& [limit, code] : bad) {
    INFO(limit);
    const auto before = redis_dump(f.redis().endpoint()).at("bl:keys");
    auto r = c.post("/v1/keys", kAdminKey,
                    R"({"role":"partner","name":"n","rate_limit":)" + limit + "}");
    CHECK(r.status == 400);
    CHECK(r.error_code() == code);
    if (code == "unknown_field")
      CHECK(json_string(r, "/error/message").find("'rate_limit.window'") != std::string::npos);
    CHECK(redis_dump(f.redis().endpoint()).at("bl:keys") == before);
  }
}

TEST_CASE("per-key rate limit: exact across keep-alive and several connections",
          "[http][redis][auth]") {
  service_fixture f;
  const auto key = issue_limited(f, 1, 5);  // five at once, then one a minute
  const auto other = issue_limited(f, 1, 5);
  const std::string unlimited = f.issue_key("partner");

  auto c = f.client();
  int ok = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = c.get(kCheck, key.secret);
    CHECK(!r.closed);  // one keep-alive connection throughout
    if (r.status == 200) {
      ++ok;
    } else {
      CHECK(r.status == 429);
      CHECK(r.error_code() == "rate_limited");
      const int retry = std::stoi(r.header("retry-after"));
      CHECK(retry >= 55);  // the next token is about a minute away
      CHECK(retry <= 60);
      ++limited;
    }
  }
  CHECK(ok == 5);
  CHECK(limited == 3);
  // A new connection does not reset the key's bucket...
  auto c2 = f.client();
  CHECK(c2.get(kCheck, key.secret).status == 429);
  // ...another key has its own, and a key issued without a limit is never
  // throttled.
  CHECK(c2.get(kCheck, other.secret).status == 200);
  int unlimited_ok = 0;
  for (int i = 0; i < 300; ++i)
    unlimited_ok += c2.get(kCheck, unlimited).status == 200;
  CHECK(unlimited_ok == 300);
  // The limit is per key, not per route: a write with the limited key is
  // refused too, before it reaches Redis.
  CHECK(c2.post("/v1/check", key.secret, R"({"items":[{"fp":")" + std::string(32, 'd') + "\"}]}")
            .status == 429);
}

TEST_CASE("per-key rate limit: exact under HTTP pipelining", "[http][redis][auth]") {
  service_fixture f;
  const auto key = issue_limited(f, 1, 7);
  const auto replies = pipelined(f.port(), key.secret, 20);
  REQUIRE(replies.size() == 20);
  int ok = 0, limited = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    INFO("response " << i);
    // The first seven take the burst; every later one is refused.
    CHECK(replies[i].first == (i < 7 ? 200u : 429u));
    if (replies[i].first == 429) {
      ++limited;
      CHECK_FALSE(replies[i].second.empty());
    } else {
      ++ok;
    }
  }
  CHECK(ok == 7);
  CHECK(limited == 13);
}

// A negative check on a connection that remembers its key is answered at
// once (route::immediate); a filter hit or a bad query goes on to the
// handler. Either way one request takes one token: the immediate try must
// not take one before giving up.
TEST_CASE("per-key rate limit: one token a request whichever path answers it",
          "[http][redis][auth]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const auto key = issue_limited(f, 1, 6);
  auto c = f.client();
  auto ban =
      c.post("/v1/bans", mod, R"({"type":"email","value":"hit@example.com","reason":"phishing"})");
  REQUIRE(ban.status == 201);
  const std::string hit = "/v1/check?type=email&value=hit%40example.com";
  const std::string miss = "/v1/check?type=email&value=miss%40example.com";
  const std::string bad = "/v1/check?type=email&value=not-an-email";
  // Alternating on one keep-alive connection: hits and bad queries reach
  // the handler after the immediate try, misses are answered by it.
  const std::vector<std::string> order{miss, hit, bad, miss, hit, bad, miss, hit};
  std::vector<unsigned> statuses;
  for (const auto& target : order) {
    auto r = c.get(target, key.secret);
    CHECK(!r.closed);
    if (r.status == 200)
      CHECK(json_bool(r, "/banned", false) == (target == hit));
    statuses.push_back(r.status);
  }
  CHECK(statuses == std::vector<unsigned>{200, 200, 400, 200, 200, 400, 429, 429});
}

TEST_CASE("per-key rate limit: tokens refill at the key's rate", "[http][redis][auth]") {
  service_fixture f;
  const auto key = issue_limited(f, 600, 2);  // ten a second, two at once
  auto c = f.client();
  CHECK(c.get(kCheck, key.secret).status == 200);
  CHECK(c.get(kCheck, key.secret).status == 200);
  auto refused = c.get(kCheck, key.secret);
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after") == "1");
  std::this_thread::sleep_for(250ms);  // 2.5 tokens' worth, capped at the burst
  CHECK(c.get(kCheck, key.secret).status == 200);
  CHECK(c.get(kCheck, key.secret).status == 200);
  CHECK(c.get(kCheck, key.secret).status == 429);
}
