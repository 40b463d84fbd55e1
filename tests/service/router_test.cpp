#include <catch2/catch.hpp>

#include "router.hpp"

using namespace banlist::service;
namespace http = boost::beast::http;

namespace {

boost::asio::awaitable<http_response> nothing(request_context&) {
  co_return http_response{};
}

router sample() {
  router r;
  r.add(http::verb::post, "/v1/bans", role::moderator, nothing);
  r.add(http::verb::get, "/v1/bans", role::moderator, nothing);
  r.add(http::verb::get, "/v1/bans/{fp}", role::moderator, nothing);
  r.add(http::verb::delete_, "/v1/bans/{fp}", role::moderator, nothing);
  r.add(http::verb::get, "/healthz", std::nullopt, nothing);
  return r;
}

}  // namespace

TEST_CASE("router matches literal paths by method", "[http][router]") {
  const router r = sample();
  auto m = r.match(http::verb::get, "/v1/bans");
  REQUIRE(m);
  CHECK(m->matched->pattern == "/v1/bans");
  CHECK(m->matched->method == http::verb::get);
  CHECK(m->index == 1);
  CHECK(m->params.empty());
  auto post = r.match(http::verb::post, "/v1/bans");
  REQUIRE(post);
  CHECK(post->index == 0);
}

TEST_CASE("router captures {name} segments", "[http][router]") {
  const router r = sample();
  auto m = r.match(http::verb::delete_, "/v1/bans/00ff");
  REQUIRE(m);
  CHECK(m->matched->pattern == "/v1/bans/{fp}");
  REQUIRE(m->params.size() == 1);
  CHECK(m->params[0].first == "fp");
  CHECK(m->params[0].second == "00ff");
  CHECK(m->matched->required == role::moderator);
}

// Literal paths are looked up directly (router::exact_); the first route
// added that matches still wins, capture or not.
TEST_CASE("router answers with the first matching route, literal or capture", "[http][router]") {
  router capture_first;
  capture_first.add(http::verb::get, "/v1/bans/{fp}", role::moderator, nothing);
  capture_first.add(http::verb::get, "/v1/bans/export", role::moderator, nothing);
  capture_first.add(http::verb::get, "/v1/bans/export", role::partner, nothing);
  auto m = capture_first.match(http::verb::get, "/v1/bans/export");
  REQUIRE(m);
  CHECK(m->index == 0);
  REQUIRE(m->params.size() == 1);
  CHECK(m->params[0].second == "export");

  router literal_first;
  literal_first.add(http::verb::get, "/v1/bans/export", role::moderator, nothing);
  literal_first.add(http::verb::get, "/v1/bans/export", role::partner, nothing);
  literal_first.add(http::verb::get, "/v1/bans/{fp}", role::moderator, nothing);
  literal_first.add(http::verb::post, "/v1/bans/export", role::admin, nothing);
  auto lit = literal_first.match(http::verb::get, "/v1/bans/export");
  REQUIRE(lit);
  CHECK(lit->index == 0);
  CHECK(lit->params.empty());
  auto post = literal_first.match(http::verb::post, "/v1/bans/export");
  REQUIRE(post);
  CHECK(post->index == 3);
  auto other = literal_first.match(http::verb::get, "/v1/bans/00ff");
  REQUIRE(other);
  CHECK(other->index == 2);
  CHECK_FALSE(literal_first.match(http::verb::delete_, "/v1/bans/export"));
  CHECK(literal_first.match(http::verb::delete_, "/v1/bans/export").error() ==
        route_miss::method_not_allowed);
  CHECK_FALSE(capture_first.match(http::verb::get, "/v1/bans"));
}

TEST_CASE("router tells unknown paths from wrong methods", "[http][router]") {
  const router r = sample();
  auto missing = r.match(http::verb::get, "/v1/nothing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == route_miss::not_found);
  auto wrong = r.match(http::verb::put, "/v1/bans/abc");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error() == route_miss::method_not_allowed);
  CHECK(r.allowed_methods("/v1/bans/abc") == "GET, DELETE");
  // A capture never matches an empty segment or extra segments.
  CHECK_FALSE(r.match(http::verb::get, "/v1/bans/a/b"));
  CHECK_FALSE(r.match(http::verb::get, "/v1/bans//"));
  CHECK_FALSE(r.match(http::verb::get, "v1/bans"));
  CHECK_FALSE(r.match(http::verb::get, "/healthz/x"));
}

TEST_CASE("role order is admin > moderator > partner", "[http][router]") {
  CHECK(role_allows(role::admin, role::moderator));
  CHECK(role_allows(role::admin, role::partner));
  CHECK(role_allows(role::moderator, role::moderator));
  CHECK_FALSE(role_allows(role::moderator, role::admin));
  CHECK_FALSE(role_allows(role::partner, role::moderator));
}

TEST_CASE("router tells which requests go to a streamed-body route", "[http][router]") {
  router r;
  r.add(http::verb::get, "/v1/bans/{fp}", role::moderator, nothing);
  r.add_streamed(http::verb::get, "/v1/bans/export", role::moderator, nothing);  // shadowed
  r.add_streamed(http::verb::post, "/v1/bans/import", role::moderator, nothing);
  r.add(http::verb::post, "/v1/bans/{fp}", role::moderator, nothing);
  CHECK(r.streams_body(http::verb::post, "/v1/bans/import"));
  CHECK_FALSE(r.streams_body(http::verb::get, "/v1/bans/import"));  // the capture route
  CHECK_FALSE(r.streams_body(http::verb::post, "/v1/bans/other"));
  CHECK_FALSE(r.streams_body(http::verb::put, "/v1/bans/import"));
  // The route match() picks decides: an earlier capture takes "export".
  auto m = r.match(http::verb::get, "/v1/bans/export");
  REQUIRE(m);
  CHECK(m->matched->pattern == "/v1/bans/{fp}");
  CHECK_FALSE(r.streams_body(http::verb::get, "/v1/bans/export"));
  // Routes of other methods do not shadow: the first route of the method does.
  auto post = r.match(http::verb::post, "/v1/bans/import");
  REQUIRE(post);
  CHECK(post->matched->streamed_body);
  CHECK(post->index == 2);
}
