// The phone fast path must give exactly what libphonenumber gives: the same
// E.164 string and the same accept/reject decision, on every input.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/phone.hpp"

namespace {

using banlist::sdk::identifier_type;

// Numbers of several countries, canonical and not, valid and not. Fixed seed.
class number_generator {
 public:
  explicit number_generator(std::uint64_t seed) : rng_(seed) {}

  std::string next() {
    std::string number = next_compact();
    if (pick(3) == 0)
      separate(number);
    return number;
  }

 private:
  std::string next_compact() {
    // Built with append: operator+ on temporaries trips g++ 12's -Wrestrict.
    std::string out;
    switch (pick(14)) {
      case 0:  // CN mobile, any second and third digit, bare
      case 1:
        return digits(out.append("1"), 10);
      case 2:  // CN mobile with +86
      case 3:
        return digits(out.append("+861"), 10);
      case 4:  // CN mobile on a known-good prefix
        out.append(pick(2) ? "+86" : "").append("1").append(pick_of({"3", "5", "8", "9"}));
        return digits(out, 9);
      case 5:  // CN landlines: Beijing, Shanghai, Guangzhou, Shenzhen, Hangzhou
        out.append(pick(2) ? "+86" : "0").append(pick_of({"10", "21", "20", "755", "571"}));
        return digits(out, pick(2) ? 8 : 7);
      case 6:  // US / NANP
        return digits(out.append(pick(2) ? "+1" : ""), 10);
      case 7:  // GB: London and mobiles
        out.append(pick(2) ? "+44" : "").append(pick_of({"20", "7"}));
        return digits(out, pick(2) ? 8 : 9);
      case 8:  // Hong Kong
        out.append(pick(2) ? "+852" : "").append(pick_of({"5", "6", "9", "2"}));
        return digits(out, 7);
      case 9:  // Japan
        out.append(pick(2) ? "+81" : "").append(pick_of({"90", "80", "3"}));
        return digits(out, pick(2) ? 8 : 7);
      case 10:  // wrong lengths around the CN mobile length
        return digits(out.append(pick(2) ? "+861" : "1"), pick(2) ? 9 : 11);
      case 11:  // anything with a plus
        return digits(out.append("+"), 1 + pick(17));
      case 12:  // anything without
        return digits(out, 1 + pick(17));
      default:  // odd prefixes: 0, 00, +0, carrier prefixes
        return digits(out.append(pick_of({"0", "00", "+0", "+86 0", "17951"})), 1 + pick(14));
    }
  }

  // Puts spaces, dashes, doubled or leading/trailing separators and dots
  // between the characters, the way people write numbers.
  void separate(std::string& number) {
    const int count = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < count; ++i) {
      const auto at = pick(number.size() + 1);
      number.insert(at, pick_of({" ", "-", " ", "-", "  ", " -", "."}));
    }
  }

  std::uint64_t pick(std::uint64_t n) { return rng_() % n; }
  const char* pick_of(std::initializer_list<const char*> options) {
    return *(options.begin() + pick(options.size()));
  }
  std::string digits(std::string& out, std::uint64_t count) {
    for (std::uint64_t i = 0; i < count; ++i)
      out.push_back(static_cast<char>('0' + pick(10)));
    return out;
  }

  std::mt19937_64 rng_;
};

struct tally {
  int fast = 0;      // decided by the fast path
  int accepted = 0;  // accepted by libphonenumber
  int rejected = 0;
};

// Compares the fast path, and normalize() as a whole, with libphonenumber.
void require_same_as_libphonenumber(const std::string& input, tally& counts) {
  INFO("input [" << input << "]");
  const auto slow = banlist::sdk::phone_via_libphonenumber(input);
  const auto fast = banlist::sdk::phone_fast_path(input);
  if (fast) {
    ++counts.fast;
    REQUIRE(slow.has_value());
    REQUIRE(*fast == *slow);
  }
  const auto full = banlist::sdk::normalize(identifier_type::phone, input);
  REQUIRE(full.has_value() == slow.has_value());
  if (slow) {
    ++counts.accepted;
    REQUIRE(*full == *slow);
    const auto again = banlist::sdk::normalize(identifier_type::phone, *full);
    REQUIRE(again.has_value());
    REQUIRE(*again == *full);
  } else {
    ++counts.rejected;
    REQUIRE(full.error().rule == slow.error().rule);
  }
}

}  // namespace

TEST_CASE("phone fast path agrees with the installed libphonenumber metadata", "[sdk][phone]") {
  CHECK(banlist::sdk::phone_fast_path_enabled());
}

TEST_CASE("phone fast path == libphonenumber on 100000 generated numbers", "[sdk][phone]") {
  number_generator numbers(0x62616e6c697374);  // fixed seed: runs are reproducible
  tally counts;
  constexpr int kCount = 100'000;
  for (int i = 0; i < kCount; ++i)
    require_same_as_libphonenumber(numbers.next(), counts);
  // Both roads were really taken, and both decisions were really made.
  CHECK(counts.fast > 15'000);
  CHECK(counts.accepted - counts.fast > 5'000);
  CHECK(counts.rejected > 20'000);
}

TEST_CASE("phone fast path == libphonenumber on every 5-digit mobile prefix", "[sdk][phone]") {
  std::mt19937_64 rng(7);
  tally counts;
  for (int prefix = 10000; prefix <= 19999; ++prefix) {
    std::string number = std::to_string(prefix);
    for (int i = 0; i < 6; ++i)
      number.push_back(static_cast<char>('0' + rng() % 10));
    require_same_as_libphonenumber(number, counts);
    require_same_as_libphonenumber(std::string("+86").append(number), counts);
  }
  CHECK(counts.fast > 5'000);
  CHECK(counts.rejected > 5'000);
}

TEST_CASE("phone fast path leaves unusual input to libphonenumber", "[sdk][phone]") {
  for (const char* input : {"8613800138000", "+16502530000", "+8613800138000 ", " 13800138000",
                            "138  0013 8000", "138 -0013 8000", "138.0013.8000", "+ 8613800138000",
                            "013800138000", "1380013800a", "-13800138000"}) {
    INFO(input);
    CHECK_FALSE(banlist::sdk::phone_fast_path(input).has_value());
  }
  CHECK(banlist::sdk::phone_fast_path("13800138000") == "+8613800138000");
  CHECK(banlist::sdk::phone_fast_path("+8619912345678") == "+8619912345678");
  // Single spaces and dashes between digits are the common written forms.
  CHECK(banlist::sdk::phone_fast_path("138 0013 8000") == "+8613800138000");
  CHECK(banlist::sdk::phone_fast_path("+86 138-0013-8000") == "+8613800138000");
  CHECK(banlist::sdk::phone_fast_path("+86-13800138000") == "+8613800138000");
  // Rejections are never decided on the fast path.
  CHECK_FALSE(banlist::sdk::phone_fast_path("12012345678").has_value());
}
