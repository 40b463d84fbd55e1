// Normalization rules of every identifier type: what each accepts, what it
// rejects and under which rule code (docs/protocol.md (section 1)).
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "banlist/sdk/identifier.hpp"

namespace {

using banlist::sdk::identifier_type;
using banlist::sdk::normalize;

// Normalizes, checks the expected output, and checks idempotence.
void require_normalizes(identifier_type type, std::string_view input, std::string_view expected) {
  INFO(banlist::sdk::to_string(type) << " input [" << input << "]");
  const auto result = normalize(type, input);
  if (!result)
    FAIL("rejected: " << result.error().message);
  CHECK(*result == expected);
  const auto again = normalize(type, *result);
  REQUIRE(again.has_value());
  CHECK(*again == *result);
}

void require_rejects(identifier_type type, std::string_view input, std::string_view rule) {
  INFO(banlist::sdk::to_string(type) << " input [" << input << "]");
  const auto result = normalize(type, input);
  if (result)
    FAIL("accepted as [" << *result << "]");
  CHECK(result.error().type == type);
  CHECK(result.error().rule == rule);
  // The message names the type and the rule, and never quotes the value.
  CHECK(result.error().message.find(banlist::sdk::to_string(type)) != std::string::npos);
  CHECK(result.error().message.find(rule) != std::string::npos);
  if (input.size() >= 6)
    CHECK(result.error().message.find(input) == std::string::npos);
}

// Concatenates without operator+, which trips g++ 12's -Wrestrict at -O3.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

// The ISO 7064 MOD 11-2 check character, found by search: the one that makes
// sum(a_i * 2^(18-i)) == 1 (mod 11) over all 18 positions, with X = 10.
std::string with_id_check(std::string_view first17) {
  int sum = 0;
  int weight = 1;
  for (int i = 16; i >= 0; --i) {
    weight = weight * 2 % 11;
    sum += (first17[static_cast<std::size_t>(i)] - '0') * weight;
  }
  for (int c = 0; c <= 10; ++c) {
    if ((sum + c) % 11 == 1) {
      return std::string(first17) + (c == 10 ? 'X' : static_cast<char>('0' + c));
    }
  }
  return {};
}

// Appends the digit that makes `prefix` Luhn-valid, found by search.
std::string with_luhn(std::string_view prefix) {
  for (char d = '0'; d <= '9'; ++d) {
    const std::string number = std::string(prefix) + d;
    int sum = 0;
    for (std::size_t i = 0; i < number.size(); ++i) {
      int v = number[number.size() - 1 - i] - '0';
      if (i % 2 == 1)
        v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 == 0)
      return number;
  }
  return {};
}

}  // namespace

TEST_CASE("identifier type names round-trip", "[sdk]") {
  for (int i = 1; i <= 8; ++i) {
    const auto type = static_cast<identifier_type>(i);
    const std::string_view name = banlist::sdk::to_string(type);
    REQUIRE(name != "unknown");
    const auto parsed = banlist::sdk::parse_identifier_type(name);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == type);
  }
  CHECK(banlist::sdk::to_string(identifier_type::id_card) == "id_card");
  CHECK_FALSE(banlist::sdk::parse_identifier_type("Phone").has_value());
  CHECK_FALSE(banlist::sdk::parse_identifier_type("").has_value());
  CHECK_FALSE(banlist::sdk::parse_identifier_type("phone ").has_value());
  CHECK(banlist::sdk::to_string(static_cast<identifier_type>(0)) == "unknown");
}

TEST_CASE("every type rejects empty, blank and over-long input", "[sdk]") {
  for (int i = 1; i <= 8; ++i) {
    const auto type = static_cast<identifier_type>(i);
    require_rejects(type, "", "empty");
    require_rejects(type, " \t\r\n", "empty");
    require_rejects(type, std::string(600, 'a'), "too_long");
  }
  const auto unknown = normalize(static_cast<identifier_type>(42), "x");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().rule == "type");
}

TEST_CASE("phone: E.164 through libphonenumber, default region CN", "[sdk][phone]") {
  const auto phone = identifier_type::phone;
  require_normalizes(phone, "13800138000", "+8613800138000");
  require_normalizes(phone, "+8613800138000", "+8613800138000");
  require_normalizes(phone, "  13800138000\n", "+8613800138000");
  require_normalizes(phone, "138 0013 8000", "+8613800138000");
  require_normalizes(phone, "+86 138-0013-8000", "+8613800138000");
  require_normalizes(phone, "008613800138000", "+8613800138000");
  require_normalizes(phone,
                     "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
                     "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
                     "\xEF\xBC\x90",  // full-width digits
                     "+8613800138000");
  require_normalizes(phone, "010-12345678", "+861012345678");
  require_normalizes(phone, "+1 650-253-0000", "+16502530000");
  require_normalizes(phone, "+44 20 7946 0958", "+442079460958");
  require_normalizes(phone, "+852 9123 4567", "+85291234567");
  require_normalizes(phone, "+81 90-1234-5678", "+819012345678");
  require_normalizes(phone, "+8617400012345", "+8617400012345");

  require_rejects(phone, "12345678901", "invalid_number");
  require_rejects(phone, "+8617406012345", "invalid_number");
  require_rejects(phone, "+86 138 0013 8000 ext 12", "characters");
  require_rejects(phone, "1-800-FLOWERS", "characters");
  require_rejects(phone, "+999 1234567", "country_code");
  require_rejects(phone, "+", "not_a_number");
  require_rejects(phone, "+86 1", "number_length");
  require_rejects(phone, std::string(65, '1'), "too_long");
}

TEST_CASE("email: trimmed, lower-cased, dot-atom local part, LDH domain", "[sdk]") {
  const auto email = identifier_type::email;
  require_normalizes(email, "  Zhang.San@Example.COM ", "zhang.san@example.com");
  require_normalizes(email, "a+tag@mail.example.cn", "a+tag@mail.example.cn");
  require_normalizes(email, "12345678@qq.com", "12345678@qq.com");
  require_normalizes(email, "o'neil@xn--fsqu00a.xn--fiqs8s", "o'neil@xn--fsqu00a.xn--fiqs8s");

  require_rejects(email, "zhangsan.example.com", "at_sign");
  require_rejects(email, "a@b@example.com", "at_sign");
  require_rejects(email, "@example.com", "local_part");
  require_rejects(email, ".a@example.com", "local_part");
  require_rejects(email, "a..b@example.com", "local_part");
  require_rejects(email, "a.@example.com", "local_part");
  require_rejects(email, "\"a b\"@example.com", "local_part");
  require_rejects(email, cat(std::string(65, 'a'), "@example.com"), "local_part");
  require_rejects(email, "a@localhost", "domain");
  require_rejects(email, "a@example.com.", "domain");
  require_rejects(email, "a@exa_mple.com", "domain");
  require_rejects(email, "a@1.2.3.4", "domain");
  require_rejects(email, "a@", "domain");
  require_rejects(email, "张三@example.com", "non_ascii");
  require_rejects(email,
                  cat(std::string(64, 'a'), "@", std::string(63, 'b'), ".", std::string(63, 'c'),
                      ".", std::string(63, 'd'), ".com"),
                  "length");
}

TEST_CASE("id_card: 18 characters, MOD 11-2 check, real birth date", "[sdk]") {
  const auto id = identifier_type::id_card;
  // The examples printed in GB 11643-1999.
  require_normalizes(id, "11010519491231002X", "11010519491231002X");
  require_normalizes(id, "11010519491231002x", "11010519491231002X");
  require_normalizes(id, "440524188001010014", "440524188001010014");
  require_normalizes(id, cat(" ", with_id_check("32010620000229123"), " "),
                     with_id_check("32010620000229123"));  // 29 Feb 2000: leap year
  CHECK(with_id_check("11010519491231002") == "11010519491231002X");

  require_rejects(id, "110105194912310021", "check_digit");
  require_rejects(id, "110105491231002", "length");  // first-generation, 15 digits
  require_rejects(id, "11010519491231002XX", "length");
  require_rejects(id, "1101051949123100AX", "characters");
  require_rejects(id, "11010519491231002Y", "characters");
  require_rejects(id, with_id_check("32010619000229123"), "birth_date");  // 1900: not leap
  require_rejects(id, with_id_check("32010620011301123"), "birth_date");  // month 13
  require_rejects(id, with_id_check("32010620010431123"), "birth_date");  // 31 April
  require_rejects(id, with_id_check("32010617990101123"), "birth_date");  // before 1800
  require_rejects(id, "１１０１０５１９４９１２３１００２Ｘ", "length");  // full-width
}

TEST_CASE("bank_card: digits after removing spaces and dashes, 12-19, Luhn", "[sdk]") {
  const auto card = identifier_type::bank_card;
  require_normalizes(card, "4111 1111 1111 1111", "4111111111111111");
  require_normalizes(card, "4111-1111-1111-1111", "4111111111111111");
  const std::string unionpay = with_luhn("622202123456789012");  // 19 digits
  require_normalizes(card, unionpay, unionpay);
  const std::string shortest = with_luhn("40000000000");  // 12 digits
  require_normalizes(card, shortest, shortest);

  require_rejects(card, "4111111111111112", "luhn");
  require_rejects(card, with_luhn("4000000000"), "length");           // 11 digits
  require_rejects(card, with_luhn("6222021234567890123"), "length");  // 20 digits
  require_rejects(card, "4111.1111.1111.1111", "characters");
  require_rejects(card, "4111 1111 1111 111a", "characters");
  require_rejects(card, "- - -", "length");
}

TEST_CASE("device: case-insensitive opaque ASCII id", "[sdk]") {
  const auto device = identifier_type::device;
  require_normalizes(device, "6D92078A-8246-4BA4-AE5B-76104861E7DC",
                     "6d92078a-8246-4ba4-ae5b-76104861e7dc");
  require_normalizes(device, "490154203237518", "490154203237518");  // IMEI
  require_normalizes(device, "aBc+/=", "abc+/=");

  require_rejects(device, "abc", "length");
  require_rejects(device, std::string(129, 'a'), "length");
  require_rejects(device, "abc def", "characters");
  require_rejects(device, "abc#def", "characters");
  require_rejects(device, "设备设备", "non_ascii");
}

TEST_CASE("account: platform lower-cased, handle kept as given", "[sdk]") {
  const auto account = identifier_type::account;
  require_normalizes(account, "WeChat:Scammer_01", "wechat:Scammer_01");
  require_normalizes(account, " weibo : 骗子小王 ", "weibo:骗子小王");
  require_normalizes(account, "example.com:user:with:colons", "example.com:user:with:colons");

  require_rejects(account, "scammer01", "separator");
  require_rejects(account, ":scammer", "platform");
  require_rejects(account, "we chat:scammer", "platform");
  require_rejects(account, "-qq:scammer", "platform");
  require_rejects(account, cat(std::string(33, 'p'), ":x"), "platform");
  require_rejects(account, "qq:", "handle");
  require_rejects(account, cat("qq:", std::string(129, 'h')), "length");
  require_rejects(account, "qq:a b", "characters");
  require_rejects(account,
                  "qq:ab\xE2\x80\x8B"
                  "cd",
                  "characters");  // zero-width space
  require_rejects(account,
                  "qq:ab\xE3\x80\x80"
                  "cd",
                  "characters");  // ideographic space
  require_rejects(account, "qq:ab\x01", "characters");
  require_rejects(account, "qq:ab\xC0\xAF", "utf8");      // overlong '/'
  require_rejects(account, "qq:ab\xED\xA0\x80", "utf8");  // surrogate
  require_rejects(account, "qq:ab\xE6\x96", "utf8");      // truncated
}

TEST_CASE("domain: lower-case LDH host, one trailing dot dropped", "[sdk]") {
  const auto domain = identifier_type::domain;
  require_normalizes(domain, "WWW.Example.COM.", "www.example.com");
  require_normalizes(domain, "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s");
  require_normalizes(domain, "a-b.c0.io", "a-b.c0.io");
  require_normalizes(domain, cat(std::string(63, 'a'), ".cn"), cat(std::string(63, 'a'), ".cn"));

  require_rejects(domain, "例子.中国", "non_ascii");
  require_rejects(domain, "https://example.com/login", "url");
  require_rejects(domain, "example.com/login", "characters");
  require_rejects(domain, "example.com:8080", "characters");
  require_rejects(domain, "exa_mple.com", "characters");
  require_rejects(domain, "example.com..", "label");
  require_rejects(domain, ".example.com", "label");
  require_rejects(domain, "-example.com", "label");
  require_rejects(domain, "example-.com", "label");
  require_rejects(domain, cat(std::string(64, 'a'), ".cn"), "label");
  require_rejects(domain, "localhost", "label_count");
  require_rejects(domain, "192.168.1.1", "ip_address");
  std::string long_name;
  while (long_name.size() < 254)
    long_name += "abcdefghi.";
  long_name += "com";
  require_rejects(domain, long_name, "length");
}

TEST_CASE("app: lower-cased package name of two or more segments", "[sdk]") {
  const auto app = identifier_type::app;
  require_normalizes(app, "com.Example.Wallet", "com.example.wallet");
  require_normalizes(app, "cn.scam_pay.app-2", "cn.scam_pay.app-2");

  require_rejects(app, "wallet", "segment_count");
  require_rejects(app, "com..wallet", "segment");
  require_rejects(app, ".com.wallet", "segment");
  require_rejects(app, "com.wallet.", "segment");
  require_rejects(app, "com.wal let", "characters");
  require_rejects(app, "com.wallet/main", "characters");
  require_rejects(app, "com.钱包", "non_ascii");
  require_rejects(app, cat("a.", std::string(254, 'b')), "length");
}
