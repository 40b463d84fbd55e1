// Every route x every kind of caller gives exactly the expected status, and a
// refused write changes nothing in Redis. The table must cover every route
// the router has, so a new route cannot skip it; a route whose resources
// belong to one partner says so (per_partner) and is then also tried by the
// owner and by another partner, who must get 404.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <thread>

#include "redis_dump.hpp"
#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;
namespace http = boost::beast::http;

namespace {

struct prepared {
  std::string target;
  std::string body;
};

struct route_case {
  http::verb method;
  std::string pattern;
  std::optional<std::string> needs;   // nullopt: open route
  unsigned ok_status;                 // status for a caller with enough rights
  std::function<prepared()> prepare;  // fresh request (a ban to lift, a key to revoke...)
  // Per-partner routes (a partner sees only what it owns): a fresh request
  // for a resource owned by the partner whose secret is passed. The owner
  // gets ok_status, any other partner 404. Empty for shared routes.
  std::function<prepared(const std::string& owner)> prepare_owned = {};
};

// What a refused request must leave alone: everything in Redis but the
// snapshot bookkeeping and the instance heartbeats, which the instance
// writes on its own schedule.
bool background_key(const std::string& key) {
  return key == "bl:snapshots" || key == "bl:instances";
}

}  // namespace

TEST_CASE("auth matrix: every route x every caller", "[http][redis][auth]") {
  // The public routes' rate limits are tested in tests/public; off here.
  service_fixture f([](service::service_config& c) {
    c.public_lookup_per_minute = 0;
    c.public_page_per_minute = 0;
  });
  const std::string partner = f.issue_key("partner");
  const std::string partner_b = f.issue_key("partner");
  const std::string moderator = f.issue_key("moderator");
  std::string revoked_id;
  const std::string revoked = f.issue_key("partner", &revoked_id);
  auto admin_client = f.client();
  REQUIRE(admin_client.del("/v1/keys/" + revoked_id, kAdminKey).status == 200);

  int counter = 0;
  auto unique_email = [&] { return "user" + std::to_string(++counter) + "@example.com"; };
  auto banned_fp = [&] {
    const std::string email = unique_email();
    auto r =
        admin_client.post("/v1/bans", kAdminKey,
                          R"({"type":"email","value":")" + email + R"(","reason":"phishing"})");
    if (r.status != 201)
      throw std::runtime_error("setup ban: " + r.body);
    return json_string(r, "/fp");
  };
  auto new_bulletin = [&] {
    auto r = admin_client.post("/v1/bulletins", kAdminKey, R"({"title":"t","body":"b"})");
    if (r.status != 201)
      throw std::runtime_error("setup bulletin: " + r.body);
    return json_string(r, "/id");
  };
  // A fresh open report filed by `partner` (so that partner may read it).
  auto new_report = [&] {
    auto r =
        admin_client.post("/v1/reports", partner,
                          R"({"type":"email","value":")" + unique_email() +
                              R"(","reason":"phishing","evidence":"seen in a phishing mail"})");
    if (r.status != 201)
      throw std::runtime_error("setup report: " + r.body);
    return json_string(r, "/id");
  };
  auto fresh_key_id = [&] {
    std::string id;
    f.issue_key("partner", &id);
    return id;
  };

  std::vector<route_case> cases{
      {http::verb::post, "/v1/bans", "moderator", 201,
       [&] {
         return prepared{"/v1/bans", R"({"type":"email","value":")" + unique_email() +
                                         R"(","reason":"phishing"})"};
       }},
      {http::verb::get, "/v1/bans", "moderator", 200,
       [] {
         return prepared{"/v1/bans", ""};
       }},
      {http::verb::get, "/v1/bans/{fp}", "moderator", 200,
       [&] {
         return prepared{"/v1/bans/" + banned_fp(), ""};
       }},
      {http::verb::delete_, "/v1/bans/{fp}", "moderator", 200,
       [&] {
         return prepared{"/v1/bans/" + banned_fp() + "?reason=appeal_granted", ""};
       }},
      {http::verb::get, "/v1/check", "partner", 200,
       [&] {
         return prepared{"/v1/check?type=email&value=" + unique_email(), ""};
       }},
      {http::verb::post, "/v1/check", "partner", 200,
       [] {
         return prepared{"/v1/check", R"({"items":[{"fp":")" + std::string(32, 'a') + R"("}]})"};
       }},
      {http::verb::post, "/v1/keys", "admin", 201,
       [] {
         return prepared{"/v1/keys", R"({"role":"partner","name":"matrix"})"};
       }},
      {http::verb::get, "/v1/keys", "admin", 200,
       [] {
         return prepared{"/v1/keys", ""};
       }},
      {http::verb::delete_, "/v1/keys/{id}", "admin", 200,
       [&] {
         return prepared{"/v1/keys/" + fresh_key_id(), ""};
       }},
      {http::verb::get, "/v1/audit", "moderator", 200,
       [] {
         return prepared{"/v1/audit", ""};
       }},
      // A plain GET of the WebSocket route is refused with 426 once the
      // caller may use it; a far cursor makes the SSE stream end at once
      // (reset event), so the keep-alive client can read it whole.
      {http::verb::get, "/v1/stream", "partner", 426,
       [] {
         return prepared{"/v1/stream?since=0", ""};
       }},
      {http::verb::get, "/v1/events", "partner", 200,
       [] {
         return prepared{"/v1/events?since=9007199254740991", ""};
       }},
      {http::verb::get, "/v1/subscribers", "admin", 200,
       [] {
         return prepared{"/v1/subscribers", ""};
       }},
      {http::verb::get, "/v1/deltas", "partner", 200,
       [] {
         return prepared{"/v1/deltas?since=0", ""};
       }},
      // The snapshot is built in the background just after start: wait for it.
      {http::verb::get, "/v1/snapshot", "partner", 200,
       [&] {
         for (int i = 0; i < 500 && !f.server().state().snapshots().current(); ++i)
           std::this_thread::sleep_for(std::chrono::milliseconds(10));
         return prepared{"/v1/snapshot", ""};
       }},
      // The import body is sent as JSON here (the matrix client's type):
      // 415 shows the caller got past authentication and the role check.
      {http::verb::post, "/v1/bans/import", "moderator", 415,
       [] {
         return prepared{"/v1/bans/import?lines=1", "{}"};
       }},
      {http::verb::get, "/healthz", std::nullopt, 200,
       [] {
         return prepared{"/healthz", ""};
       }},
      {http::verb::get, "/readyz", std::nullopt, 200,
       [] {
         return prepared{"/readyz", ""};
       }},
      {http::verb::get, "/metrics", std::nullopt, 200,
       [] {
         return prepared{"/metrics", ""};
       }},
      // Public pages, lookup, bulletins (issue 6).
      {http::verb::get, "/", std::nullopt, 200,
       [] {
         return prepared{"/", ""};
       }},
      {http::verb::get, "/offenders", std::nullopt, 200,
       [] {
         return prepared{"/offenders", ""};
       }},
      {http::verb::get, "/lookup", std::nullopt, 200,
       [] {
         return prepared{"/lookup?type=phone&value=13800138000", ""};
       }},
      {http::verb::get, "/bulletins", std::nullopt, 200,
       [] {
         return prepared{"/bulletins", ""};
       }},
      {http::verb::get, "/bulletins/{id}", std::nullopt, 200,
       [&] {
         return prepared{"/bulletins/" + new_bulletin(), ""};
       }},
      {http::verb::get, "/feed.atom", std::nullopt, 200,
       [] {
         return prepared{"/feed.atom", ""};
       }},
      {http::verb::get, "/static/{name}", std::nullopt, 200,
       [&] {
         return prepared{f.server().state().site().css_path(), ""};
       }},
      {http::verb::get, "/favicon.ico", std::nullopt, 204,
       [] {
         return prepared{"/favicon.ico", ""};
       }},
      {http::verb::get, "/v1/public/offenders", std::nullopt, 200,
       [] {
         return prepared{"/v1/public/offenders", ""};
       }},
      {http::verb::get, "/v1/public/lookup", std::nullopt, 200,
       [] {
         return prepared{"/v1/public/lookup?type=phone&value=13800138000", ""};
       }},
      {http::verb::post, "/v1/bulletins", "moderator", 201,
       [] {
         return prepared{"/v1/bulletins", R"({"title":"t","body":"b"})"};
       }},
      {http::verb::get, "/v1/bulletins", std::nullopt, 200,
       [] {
         return prepared{"/v1/bulletins", ""};
       }},
      {http::verb::put, "/v1/bulletins/{id}", "moderator", 200,
       [&] {
         return prepared{"/v1/bulletins/" + new_bulletin(), R"({"title":"t2","body":"b2"})"};
       }},
      {http::verb::delete_, "/v1/bulletins/{id}", "moderator", 200,
       [&] {
         return prepared{"/v1/bulletins/" + new_bulletin(), ""};
       }},
      {http::verb::get, "/v1/bulletins/{id}", std::nullopt, 200,
       [&] {
         return prepared{"/v1/bulletins/" + new_bulletin(), ""};
       }},
      // Moderator and admin routes (issue 7, docs/admin-api.md).
      {http::verb::post, "/v1/bans/lift", "moderator", 415,
       [] {
         return prepared{"/v1/bans/lift?lines=1", "{}"};
       }},
      {http::verb::get, "/v1/bans/export", "moderator", 200,
       [] {
         return prepared{"/v1/bans/export?format=ndjson", ""};
       }},
      {http::verb::get, "/v1/bans/{fp}/history", "moderator", 200,
       [&] {
         return prepared{"/v1/bans/" + banned_fp() + "/history", ""};
       }},
      {http::verb::get, "/v1/status", "moderator", 200,
       [] {
         return prepared{"/v1/status", ""};
       }},
      // Partner reports (issue 7).
      {http::verb::post, "/v1/reports", "partner", 201,
       [&] {
         return prepared{"/v1/reports", R"({"type":"email","value":")" + unique_email() +
                                            R"(","reason":"phishing","evidence":"e"})"};
       }},
      {http::verb::get, "/v1/reports", "moderator", 200,
       [] {
         return prepared{"/v1/reports?status=all", ""};
       }},
      {http::verb::get, "/v1/reports/{id}", "partner", 200,
       [&] {
         return prepared{"/v1/reports/" + new_report(), ""};
       },
       [&](const std::string& owner) {
         auto r = admin_client.post("/v1/reports", owner,
                                    R"({"type":"email","value":")" + unique_email() +
                                        R"(","reason":"phishing","evidence":"e"})");
         if (r.status != 201)
           throw std::runtime_error("setup report: " + r.body);
         return prepared{"/v1/reports/" + json_string(r, "/id"), ""};
       }},
      {http::verb::post, "/v1/reports/{id}/accept", "moderator", 200,
       [&] {
         return prepared{"/v1/reports/" + new_report() + "/accept", "{}"};
       }},
      {http::verb::post, "/v1/reports/{id}/reject", "moderator", 200,
       [&] {
         return prepared{"/v1/reports/" + new_report() + "/reject", R"({"reason":"no case"})"};
       }},
  };

  // The table covers the router exactly.
  std::set<std::pair<http::verb, std::string>> in_router, in_table;
  for (const auto& r : f.server().state().routes().routes())
    in_router.insert({r.method, r.pattern});
  for (const auto& c : cases)
    in_table.insert({c.method, c.pattern});
  REQUIRE(in_router == in_table);

  const int rank_partner = 1, rank_moderator = 2, rank_admin = 3;
  auto rank_of = [](const std::string& role) {
    return role == "partner" ? 1 : role == "moderator" ? 2 : 3;
  };
  struct caller {
    std::string name;
    std::map<std::string, std::string> headers;
    int rank;  // 0: not authenticated
  };
  const std::vector<caller> callers{
      {"no key", {}, 0},
      {"malformed", {{"Authorization", "Basic dXNlcjpwYXNz"}}, 0},
      {"short bearer", {{"Authorization", "Bearer abc"}}, 0},
      {"unknown", {{"Authorization", "Bearer unknown-key-0123456789abcdef"}}, 0},
      {"revoked", {{"Authorization", "Bearer " + revoked}}, 0},
      {"partner", {{"Authorization", "Bearer " + partner}}, rank_partner},
      {"partner B", {{"Authorization", "Bearer " + partner_b}}, rank_partner},
      {"moderator", {{"Authorization", "Bearer " + moderator}}, rank_moderator},
      {"admin", {{"Authorization", "Bearer " + kAdminKey}}, rank_admin},
  };

  auto c = f.client();
  int refused_writes = 0;
  for (const auto& rc : cases) {
    for (const auto& who : callers) {
      const prepared p = rc.prepare();
      const bool write = rc.method != http::verb::get;
      unsigned expected = rc.ok_status;
      if (rc.needs) {
        if (who.rank == 0) {
          expected = 401;
        } else if (who.rank < rank_of(*rc.needs)) {
          expected = 403;
        }
      }
      // A partner's own resource (filed by `partner`): another partner is
      // told it does not exist.
      if (rc.prepare_owned && who.name == std::string("partner B") && expected == rc.ok_status)
        expected = 404;
      const bool refused = expected == 401 || expected == 403;
      redis_contents before;
      if (write && refused)
        before = without(redis_dump(f.redis().endpoint()), background_key);
      if (write && refused)
        REQUIRE(before.count("bl:keys") == 1);  // the dump really reads this Redis
      auto reply = c.request(rc.method, p.target, "", p.body, who.headers);
      INFO(std::string(http::to_string(rc.method))
           << " " << rc.pattern << " as " << who.name << ": " << reply.body);
      CHECK(reply.status == expected);
      if (write && refused) {
        ++refused_writes;
        CHECK(without(redis_dump(f.redis().endpoint()), background_key) == before);
      }
      if (expected == 401) {
        CHECK(reply.error_code() == "unauthenticated");
        CHECK(reply.header("www-authenticate") == "Bearer");
      }
      if (expected == 403)
        CHECK(reply.error_code() == "forbidden");
    }
    if (rc.prepare_owned) {
      // The owner reaches its own resource; another partner must not learn
      // it exists (404, not 403).
      const std::map<std::string, std::string> as_a{{"Authorization", "Bearer " + partner}};
      const std::map<std::string, std::string> as_b{{"Authorization", "Bearer " + partner_b}};
      const prepared owned = rc.prepare_owned(partner);
      auto own = c.request(rc.method, owned.target, "", owned.body, as_a);
      INFO(rc.pattern << " as its owner: " << own.body);
      CHECK(own.status == rc.ok_status);
      const prepared foreign = rc.prepare_owned(partner);
      auto other = c.request(rc.method, foreign.target, "", foreign.body, as_b);
      INFO(rc.pattern << " as another partner: " << other.body);
      CHECK(other.status == 404);
    }
  }
  // Every write route was refused to at least the five unauthenticated callers.
  const auto write_routes = std::count_if(cases.begin(), cases.end(), [](const route_case& rc) {
    return rc.method != http::verb::get;
  });
  CHECK(write_routes >= 9);
  CHECK(refused_writes >= 5 * write_routes);
}

TEST_CASE("revoking a key takes effect at once on this instance", "[http][redis][auth]") {
  service_fixture f;
  std::string id;
  const std::string partner = f.issue_key("partner", &id);
  auto c = f.client();
  const std::string target = "/v1/check?fp=" + std::string(32, 'b');
  REQUIRE(c.get(target, partner).status == 200);  // now cached
  REQUIRE(c.del("/v1/keys/" + id, kAdminKey).status == 200);
  CHECK(c.get(target, partner).status == 401);
  CHECK(c.del("/v1/keys/" + id + "x", kAdminKey).status == 404);
  auto keys = c.get("/v1/keys", kAdminKey);
  REQUIRE(keys.status == 200);
  CHECK(keys.body.find(partner) == std::string::npos);  // secrets are never listed
}
