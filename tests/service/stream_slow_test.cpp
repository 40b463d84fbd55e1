// A subscriber that stops reading fills its bounded queue and is cut off
// (reset slow_consumer, then close) while another subscriber keeps getting
// every change on time; the slow one then catches up by resuming.
#include <catch2/catch.hpp>

#include "stream_support.hpp"
#include "ws_test_client.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

TEST_CASE("a slow subscriber is reset without delaying the others, then resumes",
          "[stream][redis][slow]") {
  service_fixture f([](service::service_config& c) {
    c.stream_queue_messages = 4;
    c.stream_send_buffer = 4096;  // small kernel buffers: the queue fills soon
  });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  const std::uint64_t epoch = f.server().state().epoch();
  auto c = f.client();

  ws_client slow(f.port(), "/v1/stream?since=0", partner, 4096);
  ws_client fast(f.port(), "/v1/stream?since=0", partner);
  sdk::replica_set fast_replica(epoch);
  std::uint64_t head = 0;
  auto worst = 0ms;
  for (int i = 0; i < 400; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    head = ban_email(c, mod, "slow" + std::to_string(i) + "@example.com");
    // The fast subscriber gets each change before the next ban is made.
    while (fast_replica.seq() < head) {
      auto m = decode(*fast.read(5s));
      if (auto* batch = std::get_if<sdk::delta_batch>(&m)) {
        REQUIRE(batch->from == fast_replica.seq());
        REQUIRE(fast_replica.apply(*batch));
      } else {
        REQUIRE(std::holds_alternative<sdk::heartbeat>(m));
      }
    }
    worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - t0));
  }
  CHECK(worst < 1000ms);

  // The slow one now reads what was buffered, then the reset, then the close.
  sdk::replica_set slow_replica(epoch);
  std::optional<sdk::reset_notice> reset;
  while (auto text = slow.read(5s)) {
    auto m = decode(*text);
    if (auto* batch = std::get_if<sdk::delta_batch>(&m)) {
      REQUIRE(batch->from == slow_replica.seq());
      REQUIRE(slow_replica.apply(*batch));
    } else if (auto* r = std::get_if<sdk::reset_notice>(&m)) {
      reset = *r;
    }
  }
  REQUIRE(reset);
  CHECK(reset->reason == sdk::reset_reason::slow_consumer);
  CHECK(reset->last_seq == slow_replica.seq());
  CHECK(slow_replica.seq() < head);
  CHECK(slow.close_code() == 1013);

  // Resuming from its seq brings it level, with no gap and no repeat.
  ws_client again(f.port(), "/v1/stream?since=" + std::to_string(slow_replica.seq()), partner);
  while (slow_replica.seq() < head) {
    auto m = decode(*again.read(5s));
    if (auto* batch = std::get_if<sdk::delta_batch>(&m)) {
      REQUIRE(batch->from == slow_replica.seq());
      REQUIRE(slow_replica.apply(*batch));
    }
  }
  CHECK(slow_replica.digest() == fast_replica.digest());
  auto metrics = c.get("/metrics");
  CHECK(metrics.body.find("banlist_subscriber_resets_total{reason=\"slow_consumer\"} 1") !=
        std::string::npos);
}
