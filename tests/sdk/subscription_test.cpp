// Subscription messages: exact JSON shapes (docs/protocol.md (section 3)), round
// trips, and rejection of unknown or malformed messages.
#include <catch2/catch.hpp>

#include "banlist/sdk/subscription.hpp"
#include "wire_test_support.hpp"

using namespace wire_test;

TEST_CASE("subscription: message shapes", "[sdk][wire]") {
  heartbeat beat{0x0123456789abcdefULL, 50,
                 *fingerprint::from_hex("00112233445566778899aabbccddeeff"), 1700000002000};
  CHECK(encode_heartbeat_message(beat) ==
        R"({"type":"heartbeat","epoch":"0123456789abcdef","head":50,)"
        R"("digest":"00112233445566778899aabbccddeeff","at":1700000002000})");
  CHECK(encode_reset_message({43, reset_reason::slow_consumer}) ==
        R"({"type":"reset","last_seq":43,"reason":"slow_consumer"})");
  CHECK(encode_ack_message({43}) == R"({"op":"ack","seq":43})");
  const std::string changes = encode_changes_message(vector_batch());
  CHECK(changes.rfind(R"({"type":"changes","epoch":"0123456789abcdef","from":41,)", 0) == 0);
}

TEST_CASE("subscription: round trips", "[sdk][wire]") {
  std::mt19937_64 rng(21);
  for (int i = 0; i < 50; ++i) {
    const delta_batch b = random_batch(rng, rng() % 50, rng() % 1000);
    auto m = decode_server_message(encode_changes_message(b));
    REQUIRE(m);
    REQUIRE(std::holds_alternative<delta_batch>(*m));
    CHECK(std::get<delta_batch>(*m) == b);
  }
  const heartbeat beat{7, kMaxSeq, {1, 2}, kMaxTimeMs};
  auto m = decode_server_message(encode_heartbeat_message(beat));
  REQUIRE(m);
  REQUIRE(std::holds_alternative<heartbeat>(*m));
  CHECK(std::get<heartbeat>(*m) == beat);
  for (auto reason :
       {reset_reason::slow_consumer, reset_reason::resync_required, reset_reason::shutdown}) {
    const reset_notice reset{12, reason};
    auto r = decode_server_message(encode_reset_message(reset));
    REQUIRE(r);
    REQUIRE(std::holds_alternative<reset_notice>(*r));
    CHECK(std::get<reset_notice>(*r) == reset);
  }
  auto ack = decode_client_message(encode_ack_message({99}));
  REQUIRE(ack);
  CHECK(ack->seq == 99);
}

TEST_CASE("subscription: malformed messages are rejected", "[sdk][wire]") {
  struct bad_case {
    const char* text;
    wire_errc expected;
  };
  const bad_case server_cases[] = {
      {R"({"head":1})", wire_errc::missing_field},
      {R"({"type":"ping"})", wire_errc::unknown_message},
      {R"({"type":7})", wire_errc::wrong_type},
      {R"({"type":"reset","type":"reset","last_seq":1,"reason":"shutdown"})",
       wire_errc::duplicate_field},
      {R"({"type":"reset","last_seq":1,"reason":"tired"})", wire_errc::bad_value},
      {R"({"type":"reset","last_seq":1})", wire_errc::missing_field},
      {R"({"type":"reset","last_seq":-1,"reason":"shutdown"})", wire_errc::bad_value},
      {R"({"type":"heartbeat","epoch":"0000000000000001","head":5,"at":1})",
       wire_errc::missing_field},
      {R"({"type":"heartbeat","epoch":"0000000000000001","head":5,"at":1,"head":6,)"
       R"("digest":"00000000000000000000000000000000"})",
       wire_errc::duplicate_field},
      {R"({"type":"heartbeat","epoch":"1","head":5,"at":1,)"
       R"("digest":"00000000000000000000000000000000"})",
       wire_errc::bad_value},
      {R"({"type":"changes","epoch":"0000000000000001"})", wire_errc::missing_field},
      {"[1]", wire_errc::bad_json},
      {"{", wire_errc::bad_json},
  };
  for (const auto& c : server_cases) {
    INFO(c.text);
    auto r = decode_server_message(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.expected);
  }
  const bad_case client_cases[] = {
      {R"({"seq":1})", wire_errc::missing_field},
      {R"({"op":"nack","seq":1})", wire_errc::unknown_message},
      {R"({"op":"ack"})", wire_errc::missing_field},
      {R"({"op":"ack","seq":1.5})", wire_errc::wrong_type},
      {R"({"op":"ack","seq":9007199254740992})", wire_errc::bad_value},
  };
  for (const auto& c : client_cases) {
    INFO(c.text);
    auto r = decode_client_message(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.expected);
  }
}
