// Masked forms for public display (docs/protocol.md (section 1), "Masking").
#include <catch2/catch.hpp>

#include <string>

#include "banlist/sdk/identifier.hpp"

namespace {

using banlist::sdk::identifier_type;

std::string masked(identifier_type type, std::string_view input) {
  const auto normalized = banlist::sdk::normalize(type, input);
  REQUIRE(normalized.has_value());
  return banlist::sdk::mask(type, *normalized);
}

}  // namespace

TEST_CASE("phone masks hide at least four digits", "[sdk]") {
  CHECK(masked(identifier_type::phone, "13800138000") == "138****8000");
  CHECK(masked(identifier_type::phone, "010-12345678") == "10****5678");
  CHECK(masked(identifier_type::phone, "+1 650-253-0000") == "+1 65****0000");
  CHECK(masked(identifier_type::phone, "+44 20 7946 0958") == "+44 20****0958");
  CHECK(masked(identifier_type::phone, "+852 9123 4567") == "+852 ****4567");
  CHECK(masked(identifier_type::phone, "+81 90-1234-5678") == "+81 90****5678");
  // Defensive: values that are not E.164 show nothing.
  CHECK(banlist::sdk::mask(identifier_type::phone, "13800138000") == "***");
  CHECK(banlist::sdk::mask(identifier_type::phone, "+86abc") == "***");
}

TEST_CASE("email masks keep one leading character and the domain", "[sdk]") {
  CHECK(masked(identifier_type::email, "Zhang.San@Example.com") == "z***@example.com");
  CHECK(masked(identifier_type::email, "12345678@qq.com") == "1***@qq.com");
  CHECK(masked(identifier_type::email, "abc@qq.com") == "***@qq.com");
  // Length is not shown.
  CHECK(masked(identifier_type::email, "abcd@qq.com") ==
        masked(identifier_type::email, "abcdefghijk@qq.com"));
}

TEST_CASE("id_card, bank_card and device masks", "[sdk]") {
  CHECK(masked(identifier_type::id_card, "11010519491231002x") == "110*************2X");
  CHECK(masked(identifier_type::bank_card, "6222 0212 3456 7890 128") == "****0128");
  CHECK(masked(identifier_type::bank_card, "4111 1111 1111 1111") == "****1111");
  CHECK(masked(identifier_type::device, "6D92078A-8246-4BA4-AE5B-76104861E7DC") == "****e7dc");
  CHECK(masked(identifier_type::device, "abcdef") == "****");
}

TEST_CASE("account, domain and app masks", "[sdk]") {
  CHECK(masked(identifier_type::account, "WeChat:Scammer_01") == "wechat:S***1");
  CHECK(masked(identifier_type::account, "weibo:骗子小王八蛋") == "weibo:骗***蛋");
  CHECK(masked(identifier_type::account, "weibo:骗子小王") == "weibo:***");
  CHECK(masked(identifier_type::account, "qq:12345") == "qq:***");
  CHECK(masked(identifier_type::domain, "WWW.Example.COM.") == "w***.com");
  CHECK(masked(identifier_type::domain, "scam-shop.cn") == "s***.cn");
  CHECK(masked(identifier_type::app, "com.Example.Wallet") == "com.***.w***");
  CHECK(masked(identifier_type::app, "com.scamapp") == "com.s***");
}

TEST_CASE("masks never contain the normalized value", "[sdk]") {
  const std::pair<identifier_type, const char*> samples[] = {
      {identifier_type::phone, "13800138000"},
      {identifier_type::email, "zhangsan@example.com"},
      {identifier_type::id_card, "11010519491231002X"},
      {identifier_type::bank_card, "4111111111111111"},
      {identifier_type::device, "490154203237518"},
      {identifier_type::account, "qq:123456789"},
      {identifier_type::domain, "scam-shop.example.cn"},
      {identifier_type::app, "com.example.wallet"},
  };
  for (const auto& [type, input] : samples) {
    const auto normalized = banlist::sdk::normalize(type, input);
    REQUIRE(normalized.has_value());
    const std::string m = banlist::sdk::mask(type, *normalized);
    INFO(*normalized << " -> " << m);
    CHECK(m.find('*') != std::string::npos);
    CHECK(m.find(*normalized) == std::string::npos);
    CHECK(m.size() <= normalized->size() + 4);
  }
}
