// The binary batch-check format (sdk/check_binary.hpp, docs/protocol.md
// "Batch check"): the documented bytes, round trips, and every malformed
// input refused with the right error.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "banlist/sdk/check_binary.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/wire_errors.hpp"

namespace {

using banlist::fingerprint;
using namespace banlist::sdk;

const std::vector<std::uint8_t> kRequestVector = {
    'B',  'L',  'C',  'Q',  1,    0,    0,    0,    2, 0, 0, 0, 0, 0, 0, 0,  // header, n = 2
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,                          // fp 0 high
    0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,                          // fp 0 low
    0xff, 0,    0,    0,    0,    0,    0,    0,                             // fp 1 high
    0,    0,    0,    0,    0,    0,    0,    0x80,                          // fp 1 low
};

const std::vector<std::uint8_t> kResponseVector = {
    'B', 'L', 'C', 'R', 1, 1, 0, 0,  // degraded
    42,  0,   0,   0,   0, 0, 0, 0,  // seq 42
    3,   0,   0,   0,   0, 0, 0, 0,  // n = 3
    0,   0,                          // not banned
    1,   2,                          // banned, phishing
    2,   0,                          // banned, unconfirmed
};

}  // namespace

TEST_CASE("check binary: the documented request and response bytes", "[sdk][wire]") {
  const std::vector<fingerprint> fps{{0x0102030405060708, 0x1112131415161718},
                                     {0xff, 0x8000000000000000}};
  CHECK(encode_check_request(fps) == kRequestVector);
  auto decoded = decode_check_request(kRequestVector, 10);
  REQUIRE(decoded);
  CHECK(*decoded == fps);

  check_results results;
  results.seq = 42;
  results.degraded = true;
  results.verdicts = {{check_status::not_banned, 0},
                      {check_status::banned, std::to_underlying(ban_reason::phishing)},
                      {check_status::banned_unconfirmed, 0}};
  std::vector<std::uint8_t> bytes;
  encode_check_response(results, bytes);
  CHECK(bytes == kResponseVector);
  auto back = decode_check_response(kResponseVector);
  REQUIRE(back);
  CHECK(back->seq == 42);
  CHECK(back->degraded);
  REQUIRE(back->verdicts.size() == 3);
  CHECK(back->verdicts[1].status == check_status::banned);
  CHECK(back->verdicts[1].reason == std::to_underlying(ban_reason::phishing));
  CHECK(back->verdicts[2].status == check_status::banned_unconfirmed);
}

TEST_CASE("check binary: random round trips, including empty", "[sdk][wire]") {
  std::mt19937_64 rng(11);
  for (std::size_t n : {0u, 1u, 7u, 10000u}) {
    std::vector<fingerprint> fps(n);
    for (auto& fp : fps)
      fp = {rng(), rng()};
    auto decoded = decode_check_request(encode_check_request(fps), 10000);
    REQUIRE(decoded);
    CHECK(*decoded == fps);
  }
}

TEST_CASE("check binary: every truncation and extension is refused", "[sdk][wire]") {
  for (std::size_t cut = 0; cut < kRequestVector.size(); ++cut) {
    auto r = decode_check_request(std::span(kRequestVector).first(cut), 10);
    REQUIRE_FALSE(r);
    CHECK(r.error() == wire_errc::truncated);
  }
  for (std::size_t cut = 0; cut < kResponseVector.size(); ++cut) {
    auto r = decode_check_response(std::span(kResponseVector).first(cut));
    REQUIRE_FALSE(r);
    CHECK(r.error() == wire_errc::truncated);
  }
  auto longer = kRequestVector;
  longer.push_back(0);
  CHECK(decode_check_request(longer, 10).error() == wire_errc::bad_length);
  auto longer_response = kResponseVector;
  longer_response.push_back(0);
  CHECK(decode_check_response(longer_response).error() == wire_errc::bad_length);
}

TEST_CASE("check binary: header and value violations name the problem", "[sdk][wire]") {
  auto with = [](std::vector<std::uint8_t> bytes, std::size_t at, std::uint8_t value) {
    bytes[at] = value;
    return bytes;
  };
  CHECK(decode_check_request(with(kRequestVector, 0, 'X'), 10).error() == wire_errc::bad_magic);
  CHECK(decode_check_request(with(kRequestVector, 4, 2), 10).error() ==
        wire_errc::unsupported_version);
  for (std::size_t at : {5u, 6u, 7u, 12u, 13u, 14u, 15u}) {
    INFO("request byte " << at);
    CHECK(decode_check_request(with(kRequestVector, at, 1), 10).error() == wire_errc::bad_reserved);
  }
  // The count is checked against the limit before the length.
  CHECK(decode_check_request(kRequestVector, 1).error() == wire_errc::too_large);
  CHECK(decode_check_request(with(kRequestVector, 9, 1), 100000).error() == wire_errc::truncated);

  CHECK(decode_check_response(with(kResponseVector, 1, 'X')).error() == wire_errc::bad_magic);
  CHECK(decode_check_response(with(kResponseVector, 5, 3)).error() == wire_errc::bad_reserved);
  for (std::size_t at : {6u, 7u, 20u, 21u, 22u, 23u}) {
    INFO("response byte " << at);
    CHECK(decode_check_response(with(kResponseVector, at, 1)).error() == wire_errc::bad_reserved);
  }
  CHECK(decode_check_response(with(kResponseVector, 24, 3)).error() == wire_errc::bad_value);
  CHECK(decode_check_response(with(kResponseVector, 25, 1)).error() == wire_errc::bad_value);
  CHECK(decode_check_response(with(kResponseVector, 27, 0)).error() == wire_errc::bad_value);
  CHECK(decode_check_response(with(kResponseVector, 27, 200)).error() == wire_errc::bad_value);
  CHECK(decode_check_response(with(kResponseVector, 29, 5)).error() == wire_errc::bad_value);
}
