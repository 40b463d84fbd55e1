// Mass assignment: every write route refuses a body carrying a field it does
// not take (a record field a caller must not set, such as seq, status,
// banned_by, id, revoked), answers 400 naming that field, and changes nothing
// in Redis (compared key by key before and after).
#include <catch2/catch.hpp>

#include <sstream>

#include "redis_dump.hpp"
#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
namespace http = boost::beast::http;

namespace {

struct write_case {
  http::verb method;
  std::string target;
  std::string body;
  std::string field;  // the extra field the answer must name
};

bool background_key(const std::string& key) {
  return key == "bl:snapshots";  // the instance's own snapshot bookkeeping
}

bool background_or_audit(const std::string& key) {
  return background_key(key) || key == "bl:audit";
}

std::string ban_with(const std::string& extra) {
  return R"({"type":"email","value":"victim@example.com","reason":"phishing",)" + extra + "}";
}

}  // namespace

TEST_CASE("mass assignment: extra fields on every write route", "[http][redis][auth]") {
  service_fixture f;
  auto c = f.client();
  const std::string fp(32, 'a');
  auto bulletin = c.post("/v1/bulletins", kAdminKey, R"({"title":"t","body":"b"})");
  REQUIRE(bulletin.status == 201);
  const std::string bulletin_id = json_string(bulletin, "/id");

  const std::vector<write_case> cases{
      {http::verb::post, "/v1/bans", ban_with(R"("seq":1)"), "seq"},
      {http::verb::post, "/v1/bans", ban_with(R"("status":"lifted")"), "status"},
      {http::verb::post, "/v1/bans", ban_with(R"("banned_by":"0000000000000001")"), "banned_by"},
      {http::verb::post, "/v1/bans", ban_with(R"("banned_at":0)"), "banned_at"},
      {http::verb::post, "/v1/bans", ban_with(R"("fp":")" + fp + "\""), "fp"},
      {http::verb::post, "/v1/keys", R"({"role":"partner","name":"n","id":"0000000000000001"})",
       "id"},
      {http::verb::post, "/v1/keys", R"({"role":"partner","name":"n","revoked":false})", "revoked"},
      {http::verb::post, "/v1/keys", R"({"role":"partner","name":"n","key":"chosen-secret-12345"})",
       "key"},
      {http::verb::post, "/v1/bulletins", R"({"title":"t","body":"b","status":"withdrawn"})",
       "status"},
      {http::verb::post, "/v1/bulletins", R"({"title":"t","body":"b","created_by":"x"})",
       "created_by"},
      {http::verb::put, "/v1/bulletins/" + bulletin_id, R"({"title":"t","body":"b","id":"7"})",
       "id"},
      {http::verb::put, "/v1/bulletins/" + bulletin_id,
       R"({"title":"t","body":"b","updated_by":"x"})", "updated_by"},
      {http::verb::post, "/v1/check", R"({"items":[{"fp":")" + fp + R"("}],"trace":true})",
       "trace"},
      {http::verb::post, "/v1/check", R"({"items":[{"fp":")" + fp + R"(","banned":false}]})",
       "banned"},
  };
  for (const auto& wc : cases) {
    INFO(std::string(http::to_string(wc.method)) << " " << wc.target << " " << wc.body);
    const auto before = without(redis_dump(f.redis().endpoint()), background_key);
    REQUIRE(before.count("bl:keys") == 1);  // the dump really reads this Redis
    auto reply = c.request(wc.method, wc.target, kAdminKey, wc.body);
    INFO(reply.body);
    CHECK(reply.status == 400);
    CHECK(reply.error_code() == "unknown_field");
    CHECK(json_string(reply, "/error/message").find("'" + wc.field + "'") != std::string::npos);
    CHECK(without(redis_dump(f.redis().endpoint()), background_key) == before);
  }

  // The same body without the extra field is accepted: the refusal was for
  // the field, not for something else in the request.
  auto plain = c.post("/v1/bans", kAdminKey,
                      R"({"type":"email","value":"victim@example.com","reason":"phishing"})");
  CHECK(plain.status == 201);
}

TEST_CASE("mass assignment: an import line with an extra field", "[http][redis][auth]") {
  service_fixture f;
  auto c = f.client();
  const auto before = without(redis_dump(f.redis().endpoint()), background_or_audit);
  const std::string body =
      R"({"type":"email","value":"victim@example.com","reason":"phishing","seq":5})"
      "\n";
  auto reply = c.request(http::verb::post, "/v1/bans/import?lines=1", kAdminKey, body,
                         {{"Content-Type", "application/x-ndjson"}});
  REQUIRE(reply.status == 200);
  std::istringstream in(reply.body);
  std::string first;
  std::getline(in, first);
  simdjson::dom::parser parser;
  std::string_view code, message;
  REQUIRE_FALSE(parser.parse(first).at_pointer("/error/code").get(code));
  CHECK(code == "unknown_field");
  REQUIRE_FALSE(parser.parse(first).at_pointer("/error/message").get(message));
  CHECK(message.find("'seq'") != std::string_view::npos);
  // Nothing but the import's own audit entry was written.
  CHECK(without(redis_dump(f.redis().endpoint()), background_or_audit) == before);
  auto seq = c.get("/v1/deltas?since=0&limit=1", kAdminKey);
  REQUIRE(seq.status == 200);
  std::uint64_t head = 99;
  REQUIRE_FALSE(seq.json()["head"].get(head));
  CHECK(head == 0);
}
