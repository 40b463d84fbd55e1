// Snapshot containers (format v1), both kinds: round trips, the published
// test vector, every truncation and single-byte corruption, and each content
// check (order, duplicates, digest, embedded filter) with a valid checksum.
#include <catch2/catch.hpp>

#include <xxhash.h>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "wire_test_support.hpp"

namespace {

using namespace wire_test;
namespace fmt = banlist::sdk::snapshot_format;

void reseal(std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> covered(bytes.begin(), bytes.begin() + 8);
  covered.insert(covered.end(), bytes.begin() + 16, bytes.end());
  const std::uint64_t sum = XXH3_64bits(covered.data(), covered.size());
  for (int i = 0; i < 8; ++i)
    bytes[8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
}

std::error_code decode_error(const std::vector<std::uint8_t>& bytes) {
  auto r = decode_snapshot(bytes);
  return r ? std::error_code{} : r.error();
}

constexpr std::uint64_t kSeed = 0x0123456789abcdefULL;

// docs/protocol.md (section 3)'s vector: two entries.
std::vector<snapshot_entry> vector_entries() {
  return {{*fingerprint::from_hex("0123456789abcdeffedcba9876543210"), identifier_type::phone,
           ban_reason::telecom_fraud},
          {*fingerprint::from_hex("ffffffffffffffff0000000000000001"), identifier_type::email,
           ban_reason::phishing}};
}

bloom::filter small_filter(std::mt19937_64& rng, int items) {
  auto f = bloom::filter::with_geometry(4, 7, kSeed);
  REQUIRE(f);
  for (int i = 0; i < items; ++i)
    f->insert(random_fp(rng));
  return std::move(*f);
}

}  // namespace

TEST_CASE("snapshot fps: round trip", "[sdk][wire]") {
  std::mt19937_64 rng(11);
  for (std::size_t n : {0, 1, 2, 17, 1000}) {
    const auto entries = random_entries(rng, n);
    const fingerprint digest = digest_of(entries);
    const auto bytes = encode_snapshot_fps(77, 1234, digest, kSeed, entries);
    CHECK(bytes.size() == fmt::kHeaderBytes + 18 * entries.size());
    auto snap = decode_snapshot(bytes);
    REQUIRE(snap);
    CHECK(snap->kind == snapshot_kind::fps);
    CHECK(snap->epoch == 77);
    CHECK(snap->seq == 1234);
    CHECK(snap->count == entries.size());
    CHECK(snap->digest == digest);
    CHECK(snap->seed == kSeed);
    CHECK_FALSE(snap->filter);
    CHECK(snap->entries == entries);
  }
}

TEST_CASE("snapshot fps: test vector", "[sdk][wire]") {
  const auto entries = vector_entries();
  const fingerprint digest = digest_of(entries);
  CHECK(digest.to_hex() == "fedcba9876543210fedcba9876543211");
  const auto bytes = encode_snapshot_fps(0x0123456789abcdefULL, 43, digest, kSeed, entries);
  CHECK(hex(bytes) ==
        "424c534e01020000"
        "80133ddc752fd955"
        "efcdab8967452301"
        "2b00000000000000"
        "0200000000000000"
        "1032547698badcfe"
        "1132547698badcfe"
        "efcdab8967452301"
        "0000000000000000"
        "0000000000000000"
        "2400000000000000"
        "efcdab8967452301"
        "1032547698badcfe"
        "0101"
        "ffffffffffffffff"
        "0100000000000000"
        "0202");
  auto snap = decode_snapshot(bytes);
  REQUIRE(snap);
  CHECK(snap->entries == entries);
}

TEST_CASE("snapshot filter: round trip", "[sdk][wire]") {
  std::mt19937_64 rng(12);
  bloom::filter f = small_filter(rng, 50);
  const fingerprint digest = random_fp(rng);
  const auto bytes = encode_snapshot_filter(5, 99, digest, f);
  auto snap = decode_snapshot(bytes);
  REQUIRE(snap);
  CHECK(snap->kind == snapshot_kind::filter);
  CHECK(snap->epoch == 5);
  CHECK(snap->seq == 99);
  CHECK(snap->count == 50);
  CHECK(snap->digest == digest);
  CHECK(snap->seed == kSeed);
  CHECK(snap->entries.empty());
  REQUIRE(snap->filter);
  CHECK(snap->filter->serialize() == f.serialize());
}

TEST_CASE("snapshot: every truncation and single-byte corruption is rejected", "[sdk][wire]") {
  std::mt19937_64 rng(13);
  const auto entries = random_entries(rng, 4);
  bloom::filter f = small_filter(rng, 3);
  const std::vector<std::vector<std::uint8_t>> containers = {
      encode_snapshot_fps(1, 2, digest_of(entries), kSeed, entries),
      encode_snapshot_filter(1, 2, digest_of(entries), f)};
  for (const auto& bytes : containers) {
    REQUIRE(decode_snapshot(bytes));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
      INFO("length " << n);
      CHECK_FALSE(decode_snapshot(cut));
    }
    auto longer = bytes;
    longer.push_back(0);
    CHECK(decode_error(longer) == wire_errc::bad_length);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
        auto bad = bytes;
        bad[i] ^= mask;
        INFO("byte " << i << " mask " << int(mask));
        CHECK_FALSE(decode_snapshot(bad));
      }
    }
  }
}

TEST_CASE("snapshot: header checks", "[sdk][wire]") {
  const auto entries = vector_entries();
  const auto good = encode_snapshot_fps(1, 43, digest_of(entries), kSeed, entries);
  CHECK(decode_error({good.begin(), good.begin() + 87}) == wire_errc::truncated);
  auto bad = good;
  bad[3] = 'X';
  CHECK(decode_error(bad) == wire_errc::bad_magic);
  bad = good;
  bad[fmt::kVersionOffset] = 2;
  CHECK(decode_error(bad) == wire_errc::unsupported_version);
  bad = good;
  bad[fmt::kKindOffset] = 3;
  CHECK(decode_error(bad) == wire_errc::bad_kind);
  bad = good;
  bad[fmt::kReserved2Offset + 6] = 1;
  CHECK(decode_error(bad) == wire_errc::bad_reserved);
  bad = good;
  bad[fmt::kPayloadLengthOffset] += 1;
  CHECK(decode_error(bad) == wire_errc::truncated);
  bad = good;
  bad[fmt::kPayloadLengthOffset] -= 1;
  CHECK(decode_error(bad) == wire_errc::bad_length);
  bad = good;
  bad[fmt::kChecksumOffset + 7] ^= 0x40;
  CHECK(decode_error(bad) == wire_errc::bad_checksum);
}

TEST_CASE("snapshot fps: content checks with a valid checksum", "[sdk][wire]") {
  const auto entries = vector_entries();
  const fingerprint digest = digest_of(entries);

  SECTION("digest must be the XOR of the fingerprints") {
    const fingerprint wrong{digest.high, digest.low ^ 1};
    CHECK(decode_error(encode_snapshot_fps(1, 43, wrong, kSeed, entries)) ==
          wire_errc::digest_mismatch);
  }
  SECTION("ascending order") {
    const std::vector<snapshot_entry> swapped = {entries[1], entries[0]};
    CHECK(decode_error(encode_snapshot_fps(1, 43, digest, kSeed, swapped)) ==
          wire_errc::not_sorted);
  }
  SECTION("no duplicates") {
    const std::vector<snapshot_entry> twice = {entries[0], entries[0], entries[1]};
    CHECK(decode_error(encode_snapshot_fps(1, 43, digest_of(twice), kSeed, twice)) ==
          wire_errc::duplicate_entry);
  }
  SECTION("count must match the payload") {
    auto bad = encode_snapshot_fps(1, 43, digest, kSeed, entries);
    bad[fmt::kCountOffset] = 3;
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_length);
    bad[fmt::kCountOffset + 7] = 0x80;  // hostile count: 2^63 + 3, no allocation
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_length);
  }
  SECTION("unknown type or reason code") {
    auto bad = encode_snapshot_fps(1, 43, digest, kSeed, entries);
    bad[fmt::kHeaderBytes + fmt::kEntryType] = 0;
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_value);
    bad = encode_snapshot_fps(1, 43, digest, kSeed, entries);
    bad[fmt::kHeaderBytes + 18 + fmt::kEntryReason] = 200;
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_value);
  }
  SECTION("geometry must be zero for kind fps") {
    auto bad = encode_snapshot_fps(1, 43, digest, kSeed, entries);
    bad[fmt::kProbesOffset] = 7;
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_reserved);
  }
  SECTION("seq above 2^53") {
    auto bad = encode_snapshot_fps(1, 43, digest, kSeed, entries);
    bad[fmt::kSeqOffset + 7] = 1;
    reseal(bad);
    CHECK(decode_error(bad) == wire_errc::bad_value);
  }
}

TEST_CASE("snapshot filter: header must agree with the embedded filter", "[sdk][wire]") {
  std::mt19937_64 rng(14);
  bloom::filter f = small_filter(rng, 10);
  const auto good = encode_snapshot_filter(1, 2, {}, f);
  auto bad = good;
  bad[fmt::kSeedOffset] ^= 1;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::seed_mismatch);
  bad = good;
  bad[fmt::kCountOffset] = 11;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::count_mismatch);
  bad = good;
  bad[fmt::kBlockCountOffset] = 5;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_filter);
  bad = good;
  bad[fmt::kProbesOffset] = 6;
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_filter);
  bad = good;
  bad[fmt::kHeaderBytes + 45] ^= 1;  // a filter bit: the filter's own checksum fails
  reseal(bad);
  CHECK(decode_error(bad) == wire_errc::bad_filter);
}

TEST_CASE("snapshot filter: test vector", "[sdk][wire]") {
  // docs/protocol.md (section 2)'s tiny filter (one block, k = 3, two fps) in a
  // container at seq 2; docs/protocol.md (section 3) prints this header.
  auto f = bloom::filter::with_geometry(1, 3, kSeed);
  REQUIRE(f);
  for (const auto& e : vector_entries())
    f->insert(e.fp);
  const auto bytes =
      encode_snapshot_filter(0x0123456789abcdefULL, 2, digest_of(vector_entries()), *f);
  REQUIRE(bytes.size() == 88 + 104);
  CHECK(hex(std::span(bytes).first(88)) ==
        "424c534e01010000"
        "2e0191d0cbcabf2f"
        "efcdab8967452301"
        "0200000000000000"
        "0200000000000000"
        "1032547698badcfe"
        "1132547698badcfe"
        "efcdab8967452301"
        "0100000000000000"
        "0300000000000000"
        "6800000000000000");
  CHECK(std::vector<std::uint8_t>(bytes.begin() + 88, bytes.end()) == f->serialize());
  auto snap = decode_snapshot(bytes);
  REQUIRE(snap);
  CHECK(snap->count == 2);
  REQUIRE(snap->filter);
  for (const auto& e : vector_entries())
    CHECK(snap->filter->may_contain(e.fp));
}
