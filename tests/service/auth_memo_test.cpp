// The per-connection authentication memo (auth.hpp, auth_memo): a keep-alive
// connection that repeats its Authorization header skips the hash and the
// shared key map, but must never answer for a key it should no longer
// accept, nor for another header's key.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "auth.hpp"
#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

const std::string kCheck = "/v1/check?fp=" + std::string(32, 'c');

}  // namespace

TEST_CASE("a keep-alive connection loses its key the moment it is revoked here") {
  service_fixture f;
  std::string id;
  const std::string partner = f.issue_key("partner", &id);
  auto c = f.client();
  for (int i = 0; i < 3; ++i) {
    auto r = c.get(kCheck, partner);
    REQUIRE(r.status == 200);
    REQUIRE_FALSE(r.closed);  // the same connection serves the next request
  }
  auto admin = f.client();
  REQUIRE(admin.del("/v1/keys/" + id, kAdminKey).status == 200);
  auto after = c.get(kCheck, partner);
  CHECK(after.status == 401);
  CHECK(after.error_code() == "unauthenticated");
}

TEST_CASE("one connection switching keys is answered for each header's own key") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  // The audit log needs the admin role: the partner is refused, the admin
  // is not, on one connection, in both orders.
  CHECK(c.get("/v1/audit", partner).status == 403);
  CHECK(c.get("/v1/audit", kAdminKey).status == 200);
  CHECK(c.get("/v1/audit", partner).status == 403);
  CHECK(c.get(kCheck, partner).status == 200);
  // Same length as the partner's secret, one character different.
  std::string forged = partner;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  auto r = c.get(kCheck, forged);
  CHECK(r.status == 401);
  CHECK(c.get(kCheck, "").status == 401);
  CHECK(c.get(kCheck, partner).status == 200);
}

TEST_CASE("a revocation made by another instance reaches a keep-alive connection within the TTL") {
  service_fixture f([](service::service_config& config) { config.key_cache_ttl = 1500ms; });
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  REQUIRE(c.get(kCheck, partner).status == 200);
  REQUIRE(c.get(kCheck, partner).status == 200);
  // Another instance's revocation is only a change in Redis; this one
  // learns of it when its cached answer (and the memo) expire.
  const std::string record = f.config().key_prefix + "key:" + service::sha256_hex(partner);
  const std::string cmd =
      "redis-cli -s " + f.redis().unix_path() + " HSET " + record + " revoked 1 >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::this_thread::sleep_for(1600ms);
  auto r = c.get(kCheck, partner);
  CHECK(r.status == 401);
  CHECK(r.body.find("revoked") != std::string::npos);
}

// The first check on a connection goes through the handler (the key is
// looked up); later ones, the key remembered, are answered at once when the
// filter misses (route::immediate, send_now). Both paths give the same
// answer, header for header.
TEST_CASE("a check answered at once is the handler's answer, header for header") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  auto first = c.get(kCheck, partner);
  auto second = c.get(kCheck, partner);
  REQUIRE(first.status == 200);
  REQUIRE(second.status == 200);
  CHECK_FALSE(second.closed);
  CHECK(second.body == first.body);
  REQUIRE(second.headers.size() == first.headers.size());
  for (const auto& [name, value] : first.headers) {
    INFO(name);
    if (name == "x-request-id") {
      CHECK(second.header(name).size() == value.size());
      CHECK(second.header(name) != value);
    } else {
      CHECK(second.header(name) == value);
    }
  }
}
