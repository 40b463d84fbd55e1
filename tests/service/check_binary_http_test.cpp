// POST /v1/check in the binary form (application/vnd.banlist.check.v1)
// against a real banlistd and Redis: the same answers as the JSON form,
// limits and malformed bodies refused, and Redis down answered as degraded.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "banlist/sdk/check_binary.hpp"
#include "banlist/sdk/reason.hpp"
#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
using sdk::check_status;
using sdk::identifier_type;

namespace {

const std::map<std::string, std::string> kBinary{
    {"content-type", std::string(sdk::kCheckBinaryMediaType)}};

std::string as_body(const std::vector<std::uint8_t>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

sdk::check_results decode(const http_reply& reply) {
  REQUIRE(reply.status == 200);
  REQUIRE(reply.header("content-type") == sdk::kCheckBinaryMediaType);
  auto results = sdk::decode_check_response(
      std::span(reinterpret_cast<const std::uint8_t*>(reply.body.data()), reply.body.size()));
  REQUIRE(results);
  return *results;
}

}  // namespace

TEST_CASE("binary batch check gives the JSON form's answers", "[http][redis][check]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  std::vector<fingerprint> fps;
  for (int i = 0; i < 40; ++i) {
    const std::string email = "bin" + std::to_string(i) + "@example.com";
    const char* reason = i % 2 ? "phishing" : "loan_fraud";
    REQUIRE(c.post("/v1/bans", mod,
                   R"({"type":"email","value":")" + email + R"(","reason":")" + reason + "\"}")
                .status == 201);
    fps.push_back(*fingerprint::from_hex(fp_of(identifier_type::email, email)));
  }
  // Lift one: it must answer not banned.
  REQUIRE(c.del("/v1/bans/" + fps[3].to_hex(), mod).status == 200);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i)
    fps.push_back({rng(), rng()});
  // The answer reports the filter's seq, which the change follower moves
  // after the writes' 2xx (it reads the log); wait until it has all 41.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.server().state().filter().seq() < 41 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  auto reply = c.request(boost::beast::http::verb::post, "/v1/check", partner,
                         as_body(sdk::encode_check_request(fps)), kBinary);
  const auto results = decode(reply);
  REQUIRE(results.verdicts.size() == fps.size());
  CHECK_FALSE(results.degraded);
  CHECK(results.seq == 41);
  for (std::size_t i = 0; i < fps.size(); ++i) {
    INFO("item " << i);
    const auto& v = results.verdicts[i];
    if (i < 40 && i != 3) {
      CHECK(v.status == check_status::banned);
      const auto expected = i % 2 ? sdk::ban_reason::phishing : sdk::ban_reason::loan_fraud;
      CHECK(v.reason == std::to_underlying(expected));
    } else {
      CHECK(v.status == check_status::not_banned);
      CHECK(v.reason == 0);
    }
  }
  // The JSON form agrees on a sample.
  auto json = c.post(
      "/v1/check", partner,
      R"({"items":[{"fp":")" + fps[0].to_hex() + R"("},{"fp":")" + fps[3].to_hex() + R"("}]})");
  REQUIRE(json.status == 200);
  CHECK(json_bool(json, "/results/0/banned"));
  CHECK_FALSE(json_bool(json, "/results/1/banned", true));
}

TEST_CASE("binary batch check: limits, malformed bodies and roles", "[http][redis][check]") {
  service_fixture f([](service::service_config& c) { c.batch_max_items = 100; });
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::vector<fingerprint> ok(100, fingerprint{1, 2});
  CHECK(c.request(boost::beast::http::verb::post, "/v1/check", partner,
                  as_body(sdk::encode_check_request(ok)), kBinary)
            .status == 200);

  const std::vector<fingerprint> too_many(101, fingerprint{1, 2});
  auto big = c.request(boost::beast::http::verb::post, "/v1/check", partner,
                       as_body(sdk::encode_check_request(too_many)), kBinary);
  CHECK(big.status == 413);
  CHECK(big.error_code() == "too_many_items");

  auto bytes = sdk::encode_check_request(ok);
  bytes.pop_back();
  auto cut =
      c.request(boost::beast::http::verb::post, "/v1/check", partner, as_body(bytes), kBinary);
  CHECK(cut.status == 400);
  CHECK(cut.error_code() == "malformed_body");

  auto json_as_binary =
      c.request(boost::beast::http::verb::post, "/v1/check", partner, R"({"items":[]})", kBinary);
  CHECK(json_as_binary.status == 400);
  CHECK(json_as_binary.error_code() == "malformed_body");

  // Media types are case-insensitive and may carry parameters.
  const std::map<std::string, std::string> spelled{
      {"content-type", "Application/VND.banlist.check.v1; q=1"}};
  CHECK(c.request(boost::beast::http::verb::post, "/v1/check", partner,
                  as_body(sdk::encode_check_request(ok)), spelled)
            .status == 200);

  CHECK(c.request(boost::beast::http::verb::post, "/v1/check", "",
                  as_body(sdk::encode_check_request(ok)), kBinary)
            .status == 401);
}

TEST_CASE("binary batch check with Redis down: degraded, hits unconfirmed",
          "[http][redis][check]") {
  service_fixture f(
      [](service::service_config& c) { c.redis_timeout = std::chrono::milliseconds(500); });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  REQUIRE(c.post("/v1/bans", mod, R"({"type":"email","value":"d@example.com","reason":"phishing"})")
              .status == 201);
  // Warm the partner's key in the cache: it stays usable while Redis is out.
  REQUIRE(c.get("/v1/check?fp=00000000000000000000000000000001", partner).status == 200);
  f.redis().stop();
  const std::vector<fingerprint> fps{
      *fingerprint::from_hex(fp_of(identifier_type::email, "d@example.com")), {7, 7}};
  const auto results = decode(c.request(boost::beast::http::verb::post, "/v1/check", partner,
                                        as_body(sdk::encode_check_request(fps)), kBinary));
  CHECK(results.degraded);
  REQUIRE(results.verdicts.size() == 2);
  CHECK(results.verdicts[0].status == check_status::banned_unconfirmed);
  CHECK(results.verdicts[1].status == check_status::not_banned);
}
