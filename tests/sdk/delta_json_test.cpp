// JSON delta batches: round trips, the published test vector, and a table of
// malformed inputs each rejected with its specific error.
#include <catch2/catch.hpp>

#include <string>

#include "banlist/sdk/delta_json.hpp"
#include "wire_test_support.hpp"

namespace {

using namespace wire_test;

// docs/protocol.md (section 3), "Test vectors": the JSON form of vector_batch().
const std::string kVectorJson =
    R"({"epoch":"0123456789abcdef","from":41,"to":43,"head":50,"more":true,)"
    R"("digest":"00112233445566778899aabbccddeeff","min_wait_s":5,"changes":[)"
    R"({"seq":42,"op":"ban","fp":"0123456789abcdeffedcba9876543210","type":"phone",)"
    R"("reason":"telecom_fraud","at":1700000000000},)"
    R"({"seq":43,"op":"lift","fp":"ffffffffffffffff0000000000000001","type":"email",)"
    R"("reason":"appeal_granted","at":1700000001000}]})";

// Replaces the first occurrence of `from` in the vector text.
std::string edited(const std::string& from, const std::string& to) {
  std::string text = kVectorJson;
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("json delta: round trip of random batches", "[sdk][wire]") {
  std::mt19937_64 rng(20240602);
  for (int i = 0; i < 300; ++i) {
    const delta_batch b = random_batch(rng, rng() % 200, rng() % 1'000'000);
    const std::string text = encode_delta_json(b);
    CHECK(text.find('\n') == std::string::npos);
    auto back = decode_delta_json(text);
    REQUIRE(back);
    CHECK(*back == b);
  }
}

TEST_CASE("json delta: extreme values round trip", "[sdk][wire]") {
  delta_batch b;
  b.epoch = ~std::uint64_t{0};
  b.from = kMaxSeq - 1;
  b.to = kMaxSeq;
  b.head = kMaxSeq;
  b.digest = {~std::uint64_t{0}, 0};
  b.min_wait_s = kMaxMinWaitS;
  b.changes.push_back({kMaxSeq,
                       change_op::ban,
                       {0, ~std::uint64_t{0}},
                       identifier_type::app,
                       std::uint8_t(ban_reason::other),
                       kMaxTimeMs});
  auto back = decode_delta_json(encode_delta_json(b));
  REQUIRE(back);
  CHECK(*back == b);
}

TEST_CASE("json delta: test vector", "[sdk][wire]") {
  CHECK(encode_delta_json(vector_batch()) == kVectorJson);
  auto back = decode_delta_json(kVectorJson);
  REQUIRE(back);
  CHECK(*back == vector_batch());
}

TEST_CASE("json delta: whitespace, member order and unknown members are accepted", "[sdk][wire]") {
  const std::string text = R"( { "future" : [1, {"x": null}], "changes" : [
      {"at":1700000000000,"reason":"telecom_fraud","type":"phone","extra":1,
       "fp":"0123456789abcdeffedcba9876543210","op":"ban","seq":42},
      {"seq":43,"op":"lift","fp":"ffffffffffffffff0000000000000001","type":"email",
       "reason":"appeal_granted","at":1700000001000}],
    "min_wait_s":5,"digest":"00112233445566778899aabbccddeeff","more":true,"head":50,
    "to":43,"from":41,"epoch":"0123456789abcdef" } )";
  auto back = decode_delta_json(text);
  REQUIRE(back);
  CHECK(*back == vector_batch());
}

TEST_CASE("json delta: each malformed field is rejected", "[sdk][wire]") {
  struct bad_case {
    const char* what;
    std::string text;
    wire_errc expected;
  };
  const bad_case cases[] = {
      {"not JSON", "{\"epoch\":", wire_errc::bad_json},
      {"empty", "", wire_errc::bad_json},
      {"array at top", "[]", wire_errc::bad_json},
      {"trailing garbage", kVectorJson + "x", wire_errc::bad_json},
      {"missing epoch", edited(R"("epoch":"0123456789abcdef",)", ""), wire_errc::missing_field},
      {"missing changes", edited(R"(,"changes":[)", R"(,"x":[)"), wire_errc::missing_field},
      {"duplicate from", edited(R"("from":41,)", R"("from":41,"from":41,)"),
       wire_errc::duplicate_field},
      {"epoch as number", edited(R"("0123456789abcdef")", "81985529216486895"),
       wire_errc::wrong_type},
      {"epoch 15 digits", edited(R"("0123456789abcdef")", R"("123456789abcdef")"),
       wire_errc::bad_value},
      {"epoch upper case", edited(R"("0123456789abcdef")", R"("0123456789ABCDEF")"),
       wire_errc::bad_value},
      {"from as string", edited(R"("from":41)", R"("from":"41")"), wire_errc::wrong_type},
      {"from fractional", edited(R"("from":41)", R"("from":41.0)"), wire_errc::wrong_type},
      {"from exponent", edited(R"("from":41)", R"("from":4.1e1)"), wire_errc::wrong_type},
      {"from negative", edited(R"("from":41)", R"("from":-1)"), wire_errc::bad_value},
      {"from above 2^53", edited(R"("from":41)", R"("from":9007199254740992)"),
       wire_errc::bad_value},
      {"from above u64", edited(R"("from":41)", R"("from":18446744073709551616)"),
       wire_errc::bad_json},
      {"head null", edited(R"("head":50)", R"("head":null)"), wire_errc::wrong_type},
      {"more as number", edited(R"("more":true)", R"("more":1)"), wire_errc::wrong_type},
      {"digest 31 digits",
       edited("00112233445566778899aabbccddeeff", "0112233445566778899aabbccddeeff"),
       wire_errc::bad_value},
      {"digest non-hex",
       edited("00112233445566778899aabbccddeeff", "00112233445566778899aabbccddeefg"),
       wire_errc::bad_value},
      {"digest upper case",
       edited("00112233445566778899aabbccddeeff", "00112233445566778899AABBCCDDEEFF"),
       wire_errc::bad_value},
      {"min_wait_s above a day", edited(R"("min_wait_s":5)", R"("min_wait_s":86401)"),
       wire_errc::bad_value},
      {"changes as object", edited(R"("changes":[)", R"("changes":{"a":[)") + "}",
       wire_errc::wrong_type},
      {"change as array", edited(R"([{"seq":42)", R"([[1],{"seq":42)"), wire_errc::wrong_type},
      {"change missing at", edited(R"(,"at":1700000000000)", ""), wire_errc::missing_field},
      {"change duplicate op", edited(R"("op":"ban",)", R"("op":"ban","op":"ban",)"),
       wire_errc::duplicate_field},
      {"unknown op", edited(R"("op":"ban")", R"("op":"unban")"), wire_errc::bad_value},
      {"op as number", edited(R"("op":"ban")", R"("op":1)"), wire_errc::wrong_type},
      {"unknown type", edited(R"("type":"phone")", R"("type":"Phone")"), wire_errc::bad_value},
      {"unknown reason", edited(R"("reason":"telecom_fraud")", R"("reason":"fraud")"),
       wire_errc::bad_value},
      {"lift reason on a ban", edited(R"("reason":"telecom_fraud")", R"("reason":"mistake")"),
       wire_errc::bad_value},
      {"ban reason on a lift", edited(R"("reason":"appeal_granted")", R"("reason":"spam")"),
       wire_errc::bad_value},
      {"fp upper case",
       edited("0123456789abcdeffedcba9876543210", "0123456789ABCDEFFEDCBA9876543210"),
       wire_errc::bad_value},
      {"fp too long",
       edited("0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba98765432100"),
       wire_errc::bad_value},
      {"at as string", edited(R"("at":1700000000000)", R"("at":"2023-11-14T22:13:20Z")"),
       wire_errc::wrong_type},
      {"at negative", edited(R"("at":1700000000000)", R"("at":-5)"), wire_errc::bad_value},
      {"seq 0", edited(R"("seq":42)", R"("seq":0)"), wire_errc::bad_value},
      {"seq not increasing", edited(R"("seq":43)", R"("seq":42)"), wire_errc::bad_sequence},
      {"seq beyond to", edited(R"("seq":43)", R"("seq":44)"), wire_errc::bad_sequence},
      {"to not last seq", edited(R"("to":43)", R"("to":45)"), wire_errc::bad_sequence},
      {"from after to", edited(R"("from":41)", R"("from":44)"), wire_errc::bad_sequence},
      {"to after head", edited(R"("head":50)", R"("head":42)"), wire_errc::bad_sequence},
      {"more at head", edited(R"("head":50)", R"("head":43)"), wire_errc::bad_sequence},
  };
  for (const bad_case& c : cases) {
    INFO(c.what << ": " << c.text);
    auto r = decode_delta_json(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.expected);
  }
}

TEST_CASE("json delta: too many changes are refused before they are read", "[sdk][wire]") {
  std::string text = R"({"epoch":"0000000000000001","from":0,"to":0,"head":0,"more":false,)"
                     R"("digest":"00000000000000000000000000000000","min_wait_s":0,"changes":[)";
  for (std::size_t i = 0; i <= kMaxBatchChanges; ++i)
    text += i ? ",0" : "0";
  text += "]}";
  auto r = decode_delta_json(text);
  REQUIRE_FALSE(r);
  CHECK(r.error() == wire_errc::too_large);
}
