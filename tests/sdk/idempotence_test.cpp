// normalize(normalize(x)) == normalize(x) for every x that normalizes: a
// property over many mutated variants of valid values of every type.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "banlist/sdk/identifier.hpp"

namespace {

using banlist::sdk::identifier_type;

struct seed_value {
  identifier_type type;
  const char* value;
};

const seed_value kSeeds[] = {
    {identifier_type::phone, "+86 138-0013-8000"},
    {identifier_type::phone, "+44 20 7946 0958"},
    {identifier_type::email, "Zhang.San@Example.COM"},
    {identifier_type::id_card, "11010519491231002x"},
    {identifier_type::bank_card, "4111 1111 1111 1111"},
    {identifier_type::device, "6D92078A-8246-4BA4-AE5B-76104861E7DC"},
    {identifier_type::account, "WeChat:Scammer_01"},
    {identifier_type::account, "weibo:\xE9\xAA\x97\xE5\xAD\x90"},
    {identifier_type::domain, "WWW.Example.COM."},
    {identifier_type::app, "com.Example.Wallet"},
};

// Characters that matter to some rule: case, separators, whitespace, UTF-8.
constexpr std::string_view kAlphabet = "aZx0189+-.@:_ /\t\xE3\x80\x80\xC3";

std::string mutate(std::string value, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    const std::size_t pos = value.empty() ? 0 : rng() % (value.size() + 1);
    switch (rng() % 4) {
      case 0:
        value.insert(pos, 1, kAlphabet[rng() % kAlphabet.size()]);
        break;
      case 1:
        if (pos < value.size())
          value.erase(pos, 1);
        break;
      case 2:
        if (pos < value.size())
          value[pos] = kAlphabet[rng() % kAlphabet.size()];
        break;
      default:
        if (pos < value.size() && value[pos] >= 'a' && value[pos] <= 'z')
          value[pos] -= 32;
        break;
    }
  }
  return value;
}

}  // namespace

TEST_CASE("normalize is idempotent on mutated values of every type", "[sdk]") {
  std::mt19937_64 rng(20240601);
  int accepted = 0;
  int rejected = 0;
  for (const auto& seed : kSeeds) {
    for (int i = 0; i < 2000; ++i) {
      const std::string input = i == 0 ? seed.value : mutate(seed.value, rng);
      const auto once = banlist::sdk::normalize(seed.type, input);
      if (!once) {
        ++rejected;
        continue;
      }
      ++accepted;
      INFO(banlist::sdk::to_string(seed.type) << " [" << input << "] -> [" << *once << "]");
      const auto twice = banlist::sdk::normalize(seed.type, *once);
      REQUIRE(twice.has_value());
      REQUIRE(*twice == *once);
      REQUIRE_FALSE(banlist::sdk::mask(seed.type, *once).empty());
    }
  }
  // Both outcomes were exercised, so the property was tested, not skipped.
  CHECK(accepted > 2000);
  CHECK(rejected > 2000);
}
