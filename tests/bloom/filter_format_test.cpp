#include <catch2/catch.hpp>

#include <xxhash.h>

#include <cctype>
#include <cstdio>
#include <cstring>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/format.hpp"
#include "random_fingerprints.hpp"

using banlist::fingerprint;
using banlist::bloom::filter;
using banlist::bloom::filter_errc;
using banlist::bloom::test::random_fingerprints;
namespace format = banlist::bloom::format;

namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

void put_u64(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value) {
  for (int i = 0; i < 8; ++i)
    bytes[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// Recomputes the checksum as docs/protocol.md (section 2) defines it, independently
// of the library: XXH3-64 of header bytes [0, 32) followed by the payload.
void reseal(std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> covered(bytes.begin(), bytes.begin() + format::kChecksumOffset);
  covered.insert(covered.end(), bytes.begin() + format::kHeaderBytes, bytes.end());
  put_u64(bytes, format::kChecksumOffset, XXH3_64bits(covered.data(), covered.size()));
}

std::error_code deserialize_error(const std::vector<std::uint8_t>& bytes) {
  auto result = filter::deserialize(bytes);
  return result ? std::error_code{} : result.error();
}

// The tiny filter of docs/protocol.md (section 2): one block, k = 3, two fingerprints.
const fingerprint kDocFingerprintA = *fingerprint::from_hex("0123456789abcdeffedcba9876543210");
const fingerprint kDocFingerprintB = *fingerprint::from_hex("ffffffffffffffff0000000000000001");
constexpr std::uint64_t kDocSeed = 0x0123456789abcdef;
constexpr std::string_view kDocSerialized =
    "424c4246010009030100000000000000"
    "0200000000000000efcdab8967452301"
    "00af3f3baef41bcb0100000000000000"
    "00000000000000000000000000040000"
    "00000000000000000000000000000010"
    "00000000000000000000000000020040"
    "0000000000000020";

filter tiny_doc_filter() {
  auto f = filter::with_geometry(1, 3, kDocSeed);
  REQUIRE(f.has_value());
  f->insert(kDocFingerprintA);
  f->insert(kDocFingerprintB);
  return std::move(*f);
}

}  // namespace

TEST_CASE("serialize produces the documented bytes of the tiny example", "[bloom]") {
  const filter f = tiny_doc_filter();
  CHECK(f.serialize() == from_hex(kDocSerialized));
  auto read = filter::deserialize(from_hex(kDocSerialized));
  REQUIRE(read.has_value());
  CHECK(read->may_contain(kDocFingerprintA));
  CHECK(read->may_contain(kDocFingerprintB));
  CHECK(read->seed() == kDocSeed);
  CHECK(read->item_count() == 2);
}

TEST_CASE("deserialize(serialize(f)) keeps lookups, geometry, seed and count", "[bloom]") {
  for (const std::uint64_t items : {1, 100, 20'000}) {
    CAPTURE(items);
    auto f = filter::with_capacity(items, 0.01, 0xfeedface00000000 + items);
    REQUIRE(f.has_value());
    random_fingerprints source(items);
    const std::vector<fingerprint> inserted = source.take(items);
    for (const fingerprint& fp : inserted)
      f->insert(fp);
    const std::vector<std::uint8_t> bytes = f->serialize();
    CHECK(bytes.size() == format::kHeaderBytes + f->byte_size());

    auto g = filter::deserialize(bytes);
    REQUIRE(g.has_value());
    CHECK(g->block_count() == f->block_count());
    CHECK(g->probe_count() == f->probe_count());
    CHECK(g->seed() == f->seed());
    CHECK(g->item_count() == f->item_count());
    CHECK(g->serialize() == bytes);
    std::uint64_t missing = 0;
    for (const fingerprint& fp : inserted)
      missing += g->may_contain(fp) ? 0 : 1;
    CHECK(missing == 0);
    std::uint64_t disagreements = 0;
    for (int i = 0; i < 20'000; ++i) {
      const fingerprint probe = source.next();
      disagreements += f->may_contain(probe) != g->may_contain(probe) ? 1 : 0;
    }
    CHECK(disagreements == 0);
  }
}

TEST_CASE("deserialize rejects every truncation of a valid filter", "[bloom]") {
  const std::vector<std::uint8_t> bytes = tiny_doc_filter().serialize();
  auto two_blocks = filter::with_geometry(2, 5, 9);
  REQUIRE(two_blocks.has_value());
  two_blocks->insert({3, 4});
  for (const auto& valid : {bytes, two_blocks->serialize()}) {
    REQUIRE(filter::deserialize(valid).has_value());
    for (std::size_t length = 0; length < valid.size(); ++length) {
      CAPTURE(length);
      const std::vector<std::uint8_t> prefix(valid.begin(), valid.begin() + length);
      CHECK(deserialize_error(prefix) == filter_errc::truncated);
    }
  }
}

TEST_CASE("deserialize rejects every single-byte corruption of a valid filter", "[bloom]") {
  auto f = filter::with_geometry(2, 6, 0x1122334455667788);
  REQUIRE(f.has_value());
  random_fingerprints source(5);
  for (int i = 0; i < 10; ++i)
    f->insert(source.next());
  const std::vector<std::uint8_t> valid = f->serialize();
  std::uint64_t accepted = 0;
  for (std::size_t offset = 0; offset < valid.size(); ++offset) {
    for (unsigned flip = 1; flip < 256; ++flip) {
      std::vector<std::uint8_t> corrupt = valid;
      corrupt[offset] ^= static_cast<std::uint8_t>(flip);
      accepted += filter::deserialize(corrupt).has_value() ? 1 : 0;
    }
  }
  CHECK(accepted == 0);
}

TEST_CASE("deserialize names what is wrong", "[bloom]") {
  const std::vector<std::uint8_t> valid = tiny_doc_filter().serialize();
  auto with = [&](std::size_t offset, std::uint8_t value) {
    std::vector<std::uint8_t> bytes = valid;
    bytes[offset] = value;
    reseal(bytes);  // a correct checksum: the field itself must be caught
    return bytes;
  };
  CHECK(deserialize_error(valid) == std::error_code{});
  CHECK(deserialize_error(with(format::kMagicOffset, 'X')) == filter_errc::bad_magic);
  CHECK(deserialize_error(with(format::kVersionOffset, 2)) == filter_errc::unsupported_version);
  CHECK(deserialize_error(with(format::kVersionOffset + 1, 1)) == filter_errc::unsupported_version);
  CHECK(deserialize_error(with(format::kLog2BlockBitsOffset, 8)) == filter_errc::bad_geometry);
  CHECK(deserialize_error(with(format::kProbesOffset, 0)) == filter_errc::bad_geometry);
  CHECK(deserialize_error(with(format::kProbesOffset, 17)) == filter_errc::bad_geometry);
  CHECK(deserialize_error(with(format::kBlockCountOffset, 0)) == filter_errc::bad_geometry);
  std::vector<std::uint8_t> checksum_flip = valid;
  checksum_flip[format::kChecksumOffset + 7] ^= 0x80;
  CHECK(deserialize_error(checksum_flip) == filter_errc::checksum_mismatch);
  // A payload byte changed, checksum not updated.
  std::vector<std::uint8_t> payload_flip = valid;
  payload_flip[format::kHeaderBytes + 5] ^= 0x10;
  CHECK(deserialize_error(payload_flip) == filter_errc::checksum_mismatch);
  // The checksum covers the item count and the seed too.
  std::vector<std::uint8_t> count_flip = valid;
  count_flip[format::kItemCountOffset] ^= 1;
  CHECK(deserialize_error(count_flip) == filter_errc::checksum_mismatch);

  // Geometry that claims more blocks than the bytes hold, or fewer.
  std::vector<std::uint8_t> claims_two = valid;
  put_u64(claims_two, format::kBlockCountOffset, 2);
  reseal(claims_two);
  CHECK(deserialize_error(claims_two) == filter_errc::truncated);
  std::vector<std::uint8_t> trailing = valid;
  trailing.push_back(0);
  reseal(trailing);
  CHECK(deserialize_error(trailing) == filter_errc::size_mismatch);
  // Absurd geometry is refused before anything is allocated for it.
  for (const std::uint64_t blocks : {std::uint64_t{1} << 28 | 1, std::uint64_t{1} << 40,
                                     ~std::uint64_t{0}, ~std::uint64_t{0} / 64 + 1}) {
    std::vector<std::uint8_t> absurd = valid;
    put_u64(absurd, format::kBlockCountOffset, blocks);
    reseal(absurd);
    CHECK(deserialize_error(absurd) == filter_errc::bad_geometry);
  }
  // Huge but legal geometry with a short input is truncated, not allocated.
  std::vector<std::uint8_t> big_claim = valid;
  put_u64(big_claim, format::kBlockCountOffset, std::uint64_t{1} << 28);
  reseal(big_claim);
  CHECK(deserialize_error(big_claim) == filter_errc::truncated);
}

TEST_CASE("the wire format is little-endian regardless of the host", "[bloom]") {
  auto f = filter::with_geometry(3, 4, 0x0102030405060708);
  REQUIRE(f.has_value());
  const std::vector<std::uint8_t> bytes = f->serialize();
  CHECK(std::memcmp(bytes.data(), "BLBF", 4) == 0);
  CHECK(bytes[format::kVersionOffset] == 1);
  CHECK(bytes[format::kVersionOffset + 1] == 0);
  CHECK(bytes[format::kLog2BlockBitsOffset] == 9);
  CHECK(bytes[format::kProbesOffset] == 4);
  CHECK(bytes[format::kBlockCountOffset] == 3);
  for (int i = 0; i < 8; ++i)
    CHECK(bytes[format::kSeedOffset + i] == 8 - i);
}

TEST_CASE("fingerprints round-trip through hex and bad hex is refused", "[bloom][hex]") {
  const fingerprint fp{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  CHECK(fp.to_hex() == "0123456789abcdeffedcba9876543210");
  CHECK(fingerprint::from_hex(fp.to_hex()) == fp);
  CHECK(fingerprint::from_hex("0123456789ABCDEFFEDCBA9876543210") == fp);  // upper case too
  CHECK(fingerprint::from_hex("ffffffffffffffffffffffffffffffff") == fingerprint{~0ULL, ~0ULL});
  // Every byte that is not a hex digit, at every position: refused. Every
  // digit, at every position, in either case: read as its value.
  const std::string hex = fp.to_hex();
  for (std::size_t at = 0; at < 32; ++at) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = hex;
      text[at] = static_cast<char>(byte);
      const bool digit = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f') ||
                         (byte >= 'A' && byte <= 'F');
      const auto parsed = fingerprint::from_hex(text);
      if (!digit) {
        if (parsed)
          FAIL("byte " << byte << " at " << at << " was taken for a digit");
        continue;
      }
      const int value = byte <= '9' ? byte - '0' : (byte | 0x20) - 'a' + 10;
      fingerprint expected = fp;
      std::uint64_t& word = at < 16 ? expected.high : expected.low;
      const int shift = 60 - 4 * static_cast<int>(at % 16);
      word = (word & ~(std::uint64_t{0xf} << shift)) | (std::uint64_t(value) << shift);
      if (parsed != expected)
        FAIL("byte " << byte << " at " << at << " read wrong");
    }
  }
  // Random values round-trip, in lower and upper case.
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 10000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const fingerprint r{state, state * 0xff51afd7ed558ccdULL};
    std::string text = r.to_hex();
    char expected[33];
    std::snprintf(expected, sizeof expected, "%016llx%016llx",
                  static_cast<unsigned long long>(r.high), static_cast<unsigned long long>(r.low));
    if (text != expected)
      FAIL("hex of " << r.high << ", " << r.low << " is " << text);
    char written[33] = {};
    written[32] = 'x';  // write_hex writes exactly 32 characters
    r.write_hex(written);
    if (std::string_view(written, 33) != text + "x")
      FAIL("write_hex differs from to_hex: " << std::string_view(written, 33));
    if (fingerprint::from_hex(text) != r)
      FAIL("round trip of " << text);
    for (char& c : text)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (fingerprint::from_hex(text) != r)
      FAIL("upper-case round trip of " << text);
  }
  CHECK_FALSE(fingerprint::from_hex(fp.to_hex().substr(1)));
  CHECK_FALSE(fingerprint::from_hex(fp.to_hex() + "0"));
  CHECK_FALSE(fingerprint::from_hex(""));
}
