// GET /v1/status with two banlistd instances on one Redis: both appear in
// bl:instances, a partner subscribed to B shows with its acknowledged seq
// whichever instance answers, and stale or long-silent entries are marked
// or dropped.
#include <catch2/catch.hpp>

#include <thread>

#include "redis_cli.hpp"
#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

TEST_CASE("status shows both instances and a partner's acked seq from either",
          "[status][redis][multi]") {
  service_fixture a([](service::service_config& c) {
    c.instance_name = "instance-a";
    c.instance_heartbeat_interval = 100ms;
  });
  service::service_config config_b = a.config();
  config_b.listen_port = 0;
  config_b.instance_name = "instance-b";
  auto started = service::server::start(config_b, {});
  REQUIRE(started);
  std::unique_ptr<service::server> b = std::move(*started);
  REQUIRE(b->wait_ready(20s));

  const std::string mod = a.issue_key("moderator");
  std::string partner_id;
  const std::string partner = a.issue_key("partner", &partner_id);
  auto on_a = a.client();
  auto on_b = http_client(b->port());
  {
    ws_client sub(b->port(), "/v1/stream?since=0", partner);
    const std::uint64_t s1 = ban_email(on_a, mod, "st1@example.com");
    std::uint64_t got = 0;
    while (got < s1) {
      auto m = decode(*sub.read(5s));
      if (auto* batch = std::get_if<sdk::delta_batch>(&m))
        got = batch->to;
    }
    sub.send(R"({"op":"ack","seq":)" + std::to_string(s1) + "}");

    // Within a few heartbeats both instances agree.
    for (http_client* c : {&on_a, &on_b}) {
      http_reply r;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline) {
        r = c->get("/v1/status", mod);
        REQUIRE(r.status == 200);
        if (json_string(r, "/partners/0/instance") == "instance-b" &&
            r.body.find(R"("acked_seq":)" + std::to_string(s1)) != std::string::npos &&
            r.body.find("instance-a") != std::string::npos)
          break;
        std::this_thread::sleep_for(50ms);
      }
      INFO(r.body);
      std::uint64_t seq = 0, banned = 0, email = 0, acked = 0, lag = 9;
      REQUIRE_FALSE(r.json()["seq"].get(seq));
      REQUIRE_FALSE(r.json()["banned"].get(banned));
      REQUIRE_FALSE(r.json().at_pointer("/by_type/email").get(email));
      CHECK(seq == s1);
      CHECK(banned == 1);
      CHECK(email == 1);
      CHECK(json_string(r, "/instances/0/id") == "instance-a");
      CHECK(json_string(r, "/instances/1/id") == "instance-b");
      CHECK(json_bool(r, "/instances/0/ready"));
      CHECK(json_bool(r, "/instances/1/ready"));
      CHECK_FALSE(json_bool(r, "/instances/1/stale", true));
      CHECK(json_string(r, "/partners/0/key_id") == partner_id);
      CHECK(json_string(r, "/partners/0/name") == "test partner");
      REQUIRE_FALSE(r.json().at_pointer("/partners/0/acked_seq").get(acked));
      REQUIRE_FALSE(r.json().at_pointer("/partners/0/lag").get(lag));
      CHECK(acked == s1);
      CHECK(lag == 0);
      CHECK(json_string(r, "/epoch").size() == 16);
    }
  }

  // An instance silent for a minute is stale; one silent for 11 minutes is
  // dropped by the next heartbeat.
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  redis_cli(a, "HSET bl:instances old-1 '" + std::to_string(now - 60000) +
                   R"( {"id":"old-1","seq":0,"ready":true,"partners":[]}')");
  redis_cli(a, "HSET bl:instances old-2 '" + std::to_string(now - 660000) +
                   R"( {"id":"old-2","seq":0,"ready":true,"partners":[]}')");
  std::this_thread::sleep_for(500ms);
  auto r = on_a.get("/v1/status", mod);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("old-2") == std::string::npos);
  CHECK(json_string(r, "/instances/2/id") == "old-1");
  CHECK(json_bool(r, "/instances/2/stale"));
  CHECK(on_a.get("/v1/status", a.issue_key("partner")).status == 403);
  CHECK(on_a.get("/v1/status?x=1", mod).status == 400);
  b->stop();
  (void)b->wait();
}
