// Binary delta batches (format v1): round trips, the published test vector,
// and rejection of every truncation, every single-byte corruption and each
// field-level violation (resealed, so the checksum does not hide it).
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <cstring>

#include "banlist/sdk/delta_binary.hpp"
#include "wire_test_support.hpp"

namespace {

using namespace wire_test;
namespace fmt = banlist::sdk::delta_format;

// Recomputes the checksum as docs/protocol.md (section 3) defines it.
void reseal(std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> covered(bytes.begin(), bytes.begin() + 8);
  covered.insert(covered.end(), bytes.begin() + 16, bytes.end());
  const std::uint64_t sum = XXH3_64bits(covered.data(), covered.size());
  for (int i = 0; i < 8; ++i)
    bytes[8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
}

void put_u64(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    bytes[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::error_code decode_error(const std::vector<std::uint8_t>& bytes) {
  auto r = decode_delta_binary(bytes);
  return r ? std::error_code{} : r.error();
}

}  // namespace

TEST_CASE("binary delta: round trip of random batches", "[sdk][wire]") {
  std::mt19937_64 rng(20240601);
  std::vector<std::uint8_t> reused;
  for (int i = 0; i < 300; ++i) {
    const delta_batch b = random_batch(rng, rng() % 200, rng() % 1'000'000);
    REQUIRE(validate(b));
    const auto bytes = encode_delta_binary(b);
    REQUIRE(bytes.size() == fmt::kHeaderBytes + fmt::kRecordBytes * b.changes.size());
    auto back = decode_delta_binary(bytes);
    REQUIRE(back);
    CHECK(*back == b);
    encode_delta_binary(b, reused);  // the buffer-reusing overload gives the same bytes
    CHECK(reused == bytes);
  }
}

TEST_CASE("binary delta: test vector", "[sdk][wire]") {
  const auto bytes = encode_delta_binary(vector_batch());
  // Same bytes as docs/protocol.md (section 3), "Test vectors".
  CHECK(hex(bytes) ==
        "424c444c01010000"
        "5edb3d27206a35cf"
        "efcdab8967452301"
        "2900000000000000"
        "2b00000000000000"
        "3200000000000000"
        "7766554433221100"
        "ffeeddccbbaa9988"
        "0500000002000000"
        "2a00000000000000"
        "efcdab8967452301"
        "1032547698badcfe"
        "0068e5cf8b010000"
        "0101010000000000"
        "2b00000000000000"
        "ffffffffffffffff"
        "0100000000000000"
        "e86be5cf8b010000"
        "0202010000000000");
  auto back = decode_delta_binary(bytes);
  REQUIRE(back);
  CHECK(*back == vector_batch());
}

TEST_CASE("binary delta: every truncation and extension is rejected", "[sdk][wire]") {
  const auto bytes = encode_delta_binary(vector_batch());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    CHECK(decode_error(cut) == wire_errc::truncated);
  }
  auto longer = bytes;
  longer.push_back(0);
  CHECK(decode_error(longer) == wire_errc::bad_length);
}

TEST_CASE("binary delta: every single-byte corruption is rejected", "[sdk][wire]") {
  std::mt19937_64 rng(7);
  const auto bytes = encode_delta_binary(random_batch(rng, 5, 100));
  REQUIRE(decode_delta_binary(bytes));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x10, 0x80, 0xff}) {
      auto bad = bytes;
      bad[i] ^= mask;
      INFO("byte " << i << " mask " << int(mask));
      CHECK_FALSE(decode_delta_binary(bad));
    }
  }
}

TEST_CASE("binary delta: header checks in order", "[sdk][wire]") {
  const auto good = encode_delta_binary(vector_batch());
  auto bad = good;
  bad[0] = 'X';
  CHECK(decode_error(bad) == wire_errc::bad_magic);
  bad = good;
  bad[fmt::kVersionOffset] = 2;
  CHECK(decode_error(bad) == wire_errc::unsupported_version);
  bad = good;
  bad[fmt::kFlagsOffset] |= 0x02;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_reserved);
  bad = good;
  bad[fmt::kReservedOffset + 1] = 1;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_reserved);
  bad = good;
  bad[fmt::kCountOffset] = 3;  // declares 3 records, carries 2
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::truncated);
  bad = good;
  bad[fmt::kCountOffset] = 1;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_length);
  bad = good;
  put_u64(bad, fmt::kCountOffset, 0xffffffff);  // count = 2^32 - 1, and min_wait unchanged
  bad[fmt::kCountOffset + 4] = 0;
  bad[fmt::kCountOffset + 5] = 0;
  bad[fmt::kCountOffset + 6] = 0;
  bad[fmt::kCountOffset + 7] = 0;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::too_large);
  bad = good;
  bad[fmt::kChecksumOffset] ^= 1;
  CHECK(decode_error(bad) == wire_errc::bad_checksum);
}

TEST_CASE("binary delta: field violations are rejected even with a valid checksum", "[sdk][wire]") {
  const auto good = encode_delta_binary(vector_batch());
  const std::size_t r0 = fmt::kHeaderBytes;
  const std::size_t r1 = fmt::kHeaderBytes + fmt::kRecordBytes;
  struct edit {
    const char* what;
    std::size_t offset;
    std::uint64_t value;
    int width;
    wire_errc expected;
  };
  const edit edits[] = {
      {"record reserved byte", r0 + fmt::kRecordReserved + 4, 1, 1, wire_errc::bad_reserved},
      {"op 0", r0 + fmt::kRecordOp, 0, 1, wire_errc::bad_value},
      {"op 3", r0 + fmt::kRecordOp, 3, 1, wire_errc::bad_value},
      {"type 0", r0 + fmt::kRecordType, 0, 1, wire_errc::bad_value},
      {"type 9", r0 + fmt::kRecordType, 9, 1, wire_errc::bad_value},
      {"ban reason 0", r0 + fmt::kRecordReason, 0, 1, wire_errc::bad_value},
      {"ban reason 15", r0 + fmt::kRecordReason, 15, 1, wire_errc::bad_value},
      // appeal_granted (1) is a lift reason; as a ban reason 1 is telecom_fraud, so use 5
      // on the lift: no lift reason has code 5.
      {"lift reason 5", r1 + fmt::kRecordReason, 5, 1, wire_errc::bad_value},
      {"negative at", r0 + fmt::kRecordAt, ~std::uint64_t{0}, 8, wire_errc::bad_value},
      {"at above 2^53", r0 + fmt::kRecordAt, std::uint64_t{1} << 53, 8, wire_errc::bad_value},
      {"seq 0", r0 + fmt::kRecordSeq, 0, 8, wire_errc::bad_value},
      {"seq = from", r0 + fmt::kRecordSeq, 41, 8, wire_errc::bad_sequence},
      {"seqs not increasing", r1 + fmt::kRecordSeq, 42, 8, wire_errc::bad_sequence},
      {"last seq != to", r1 + fmt::kRecordSeq, 44, 8, wire_errc::bad_sequence},
      {"from > first", fmt::kFromOffset, 42, 8, wire_errc::bad_sequence},
      {"to > head", fmt::kHeadOffset, 42, 8, wire_errc::bad_sequence},
      {"more with to == head", fmt::kHeadOffset, 43, 8, wire_errc::bad_sequence},
      {"head above 2^53", fmt::kHeadOffset, std::uint64_t{1} << 53, 8, wire_errc::bad_value},
      {"min_wait_s above a day", fmt::kMinWaitOffset, 86401, 4, wire_errc::bad_value},
  };
  for (const edit& e : edits) {
    auto bad = good;
    for (int i = 0; i < e.width; ++i)
      bad[e.offset + i] = static_cast<std::uint8_t>(e.value >> (8 * i));
    reseal(bad);
    INFO(e.what);
    CHECK(decode_error(bad) == e.expected);
  }
}

TEST_CASE("binary delta: empty batch and limits", "[sdk][wire]") {
  delta_batch empty;
  empty.epoch = 9;
  empty.from = 10;
  empty.to = 10;
  empty.head = 10;
  auto back = decode_delta_binary(encode_delta_binary(empty));
  REQUIRE(back);
  CHECK(*back == empty);

  std::mt19937_64 rng(3);
  delta_batch full = random_batch(rng, kMaxBatchChanges, 0);
  auto full_back = decode_delta_binary(encode_delta_binary(full));
  REQUIRE(full_back);
  CHECK(full_back->changes.size() == kMaxBatchChanges);
  CHECK(*full_back == full);
  // One more than the limit: validate refuses it (encoders require valid input).
  full.changes.push_back(full.changes.back());
  CHECK(validate(full).error() == wire_errc::too_large);
}
