// Fingerprints: XXH3-128(seed, "type:normalized"), 32 hex digits, high half
// first. The vectors are the ones published in docs/protocol.md (section 1).
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <cstdint>
#include <string>

#include "banlist/sdk/identifier.hpp"

namespace {

using banlist::sdk::identifier_type;

constexpr std::uint64_t kSeed = 0x0123456789abcdefULL;

struct test_vector {
  identifier_type type;
  const char* input;
  const char* normalized;
  const char* fp_seed0;
  const char* fp_seed;  // seed 0x0123456789abcdef
};

// Same table as docs/protocol.md (section 1), "Test vectors".
const test_vector kVectors[] = {
    {identifier_type::phone, "13800138000", "+8613800138000", "f98f17f4277ac2cc5b111e6e6d88502f",
     "b924069871630c1902327f0da48e7486"},
    {identifier_type::phone, "+44 20 7946 0958", "+442079460958",
     "c0589fb392f40b655c5da6b32b6ee0ee", "ad3f5480092df7707a3269a76496dd53"},
    {identifier_type::email, "  Zhang.San@Example.COM ", "zhang.san@example.com",
     "d58634c699b040d5b88cf51720ef74f3", "9369acf09dee3d8ef6ed94a6bc8a9e16"},
    {identifier_type::id_card, "11010519491231002x", "11010519491231002X",
     "ab6d01b9ddfa9b3f45d4c99e3d7ccd7b", "74b94766a3403ff10a3119c4242829a3"},
    {identifier_type::bank_card, "4111 1111 1111 1111", "4111111111111111",
     "f08467aad39614678ebb81c3899f0f2e", "44888a2bb412d77f521e98eacf63baeb"},
    {identifier_type::device, "6D92078A-8246-4BA4-AE5B-76104861E7DC",
     "6d92078a-8246-4ba4-ae5b-76104861e7dc", "0b66cc1027e48dbb7102d476923bec25",
     "ee318a11dbf2dd1ccc97fc3734ac69da"},
    {identifier_type::account, "WeChat:Scammer_01", "wechat:Scammer_01",
     "757d9f6efafc4c8b25f0672eaffb6a8e", "a90cc679149769a2901c3ae66fdff140"},
    {identifier_type::domain, "WWW.Example.COM.", "www.example.com",
     "51cc7a195e89513d9981534380d998af", "d3df35568c07d82fd21ec5b7d3b80b1d"},
    {identifier_type::app, "com.Example.Wallet", "com.example.wallet",
     "72fa3e6a56b94c144ce2ec320927693b", "966ee3a84b12261f37b5ee2c9ead23c5"},
};

// The definition, spelled out with a heap string and the one-shot call.
banlist::fingerprint direct_xxh3(std::string_view type, std::string_view value,
                                 std::uint64_t seed) {
  const std::string text = std::string(type) + ":" + std::string(value);
  const XXH128_hash_t h = XXH3_128bits_withSeed(text.data(), text.size(), seed);
  return banlist::fingerprint{h.high64, h.low64};
}

}  // namespace

TEST_CASE("fingerprint test vectors", "[sdk]") {
  for (const auto& v : kVectors) {
    INFO(banlist::sdk::to_string(v.type) << " " << v.input);
    const auto normalized = banlist::sdk::normalize(v.type, v.input);
    REQUIRE(normalized.has_value());
    CHECK(*normalized == v.normalized);
    const auto fp0 = banlist::sdk::fingerprint_of(v.type, *normalized, 0);
    const auto fp = banlist::sdk::fingerprint_of(v.type, *normalized, kSeed);
    CHECK(fp0.to_hex() == v.fp_seed0);
    CHECK(fp.to_hex() == v.fp_seed);
    CHECK(fp0 == direct_xxh3(banlist::sdk::to_string(v.type), v.normalized, 0));
    CHECK(fp == direct_xxh3(banlist::sdk::to_string(v.type), v.normalized, kSeed));
  }
}

TEST_CASE("fingerprint hex is the high 64 bits, then the low 64 bits", "[sdk]") {
  const auto fp = banlist::sdk::fingerprint_of(identifier_type::phone, "+8613800138000", 0);
  const std::string text = "phone:+8613800138000";
  const XXH128_hash_t h = XXH3_128bits_withSeed(text.data(), text.size(), 0);
  CHECK(fp.high == h.high64);
  CHECK(fp.low == h.low64);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  std::string hex;
  for (unsigned char byte : canonical.digest) {
    constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  CHECK(fp.to_hex() == hex);  // xxHash's canonical (big-endian) form
}

TEST_CASE("fingerprint separates type, value and seed", "[sdk]") {
  const auto a = banlist::sdk::fingerprint_of(identifier_type::device, "12345678", 0);
  const auto b = banlist::sdk::fingerprint_of(identifier_type::bank_card, "12345678", 0);
  const auto c = banlist::sdk::fingerprint_of(identifier_type::device, "12345679", 0);
  const auto d = banlist::sdk::fingerprint_of(identifier_type::device, "12345678", 1);
  CHECK(a != b);
  CHECK(a != c);
  CHECK(a != d);
}

TEST_CASE("fingerprint of long input matches the one-shot definition", "[sdk]") {
  // Longer than the stack buffer: the streaming branch must agree.
  for (std::size_t length : {0u, 1u, 300u, 310u, 311u, 312u, 1000u, 5000u}) {
    const std::string value(length, 'v');
    INFO(length);
    CHECK(banlist::sdk::fingerprint_of(identifier_type::account, value, kSeed) ==
          direct_xxh3("account", value, kSeed));
  }
}
