// Two banlistd instances on one Redis: a change accepted by A reaches the
// WebSocket and SSE subscribers of B through B's change follower.
#include <catch2/catch.hpp>

#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

TEST_CASE("a ban on instance A reaches a subscriber of instance B", "[stream][redis][multi]") {
  service_fixture a;
  service::service_config config_b = a.config();
  config_b.listen_port = 0;
  config_b.instance_name = "instance-b";
  auto started = service::server::start(config_b, {});
  REQUIRE(started);
  std::unique_ptr<service::server> b = std::move(*started);
  REQUIRE(b->wait_ready(20s));

  const std::string mod = a.issue_key("moderator");
  const std::string partner = a.issue_key("partner");
  const std::uint64_t epoch = a.server().state().epoch();
  CHECK(b->state().epoch() == epoch);
  auto on_a = a.client();
  sdk::replica_set replica(epoch);
  {
    ws_client sub(b->port(), "/v1/stream?since=0", partner);
    std::string fp1, fp2;
    const std::uint64_t s1 = ban_email(on_a, mod, "a1@example.com", &fp1);
    const std::uint64_t s2 = ban_email(on_a, mod, "a2@example.com", &fp2);
    const std::uint64_t s3 = lift_fp(on_a, mod, fp1);
    while (replica.seq() < s3) {
      auto m = decode(*sub.read(5s));
      if (auto* batch = std::get_if<sdk::delta_batch>(&m)) {
        REQUIRE(batch->from == replica.seq());
        REQUIRE(replica.apply(*batch));
      }
    }
    CHECK(s1 < s2);
    CHECK(replica_fps(replica) == std::set<std::string>{fp2});
  }
  // B lists its own subscribers under its own name.
  auto on_b = http_client(b->port());
  auto list = on_b.get("/v1/subscribers", kAdminKey);
  REQUIRE(list.status == 200);
  CHECK(json_string(list, "/instance") == "instance-b");
  b->stop();
  (void)b->wait();
}
