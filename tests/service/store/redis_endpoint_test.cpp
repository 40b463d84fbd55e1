// redis_endpoint::parse: the URL forms banlistd accepts for --redis.
#include <catch2/catch.hpp>

#include "store/store.hpp"

using banlist::service::redis_endpoint;

TEST_CASE("redis:// urls", "[redis][endpoint]") {
  auto a = redis_endpoint::parse("redis://localhost:6380/2");
  REQUIRE(a);
  CHECK(a->host == "localhost");
  CHECK(a->port == 6380);
  CHECK(a->db == 2);
  CHECK(a->password.empty());
  CHECK(a->unix_path.empty());

  auto b = redis_endpoint::parse("redis://:s3cret@10.0.0.1");
  REQUIRE(b);
  CHECK(b->host == "10.0.0.1");
  CHECK(b->port == 6379);
  CHECK(b->db == 0);
  CHECK(b->password == "s3cret");

  auto c = redis_endpoint::parse("redis://[::1]:7000/0");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->port == 7000);
}

TEST_CASE("unix:// urls", "[redis][endpoint]") {
  auto a = redis_endpoint::parse("unix:///var/run/redis.sock?db=3");
  REQUIRE(a);
  CHECK(a->unix_path == "/var/run/redis.sock");
  CHECK(a->db == 3);
  CHECK(a->host.empty());
  auto b = redis_endpoint::parse("unix:///tmp/r.sock");
  REQUIRE(b);
  CHECK(b->db == 0);
}

TEST_CASE("bad urls are errors", "[redis][endpoint]") {
  CHECK_FALSE(redis_endpoint::parse("http://x"));
  CHECK_FALSE(redis_endpoint::parse("redis://"));
  CHECK_FALSE(redis_endpoint::parse("redis://host:notaport"));
  CHECK_FALSE(redis_endpoint::parse("redis://host:0"));
  CHECK_FALSE(redis_endpoint::parse("redis://host:70000"));
  CHECK_FALSE(redis_endpoint::parse("redis://host/x"));
  CHECK_FALSE(redis_endpoint::parse("unix://relative.sock"));
  CHECK_FALSE(redis_endpoint::parse("unix:///a.sock?db=-1"));
  CHECK_FALSE(redis_endpoint::parse("unix:///a.sock?color=red"));
}
