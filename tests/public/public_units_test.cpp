// Unit tests of the public pages' parts that need no server: the rate
// limiter, language choice, bulletin paragraphs, the page cache and ETags.
#include <catch2/catch.hpp>

#include "public/i18n.hpp"
#include "public/page_cache.hpp"
#include "public/rate_limiter.hpp"
#include "public/text_blocks.hpp"

using namespace banlist::service;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: burst, then one token per 60/rate seconds", "[public]") {
  rate_limiter limiter(30, 10);  // the defaults: 30 a minute, burst 10
  const auto t0 = rate_limiter::clock::time_point{} + 1000s;
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(limiter.take("192.0.2.1", t0).has_value());
  auto wait = limiter.take("192.0.2.1", t0);
  REQUIRE(wait.has_value());
  CHECK(*wait == 2s);  // 30 a minute: one token every 2 s
  // Another address has its own bucket.
  CHECK_FALSE(limiter.take("192.0.2.2", t0).has_value());
  // One token after 2 s, not two.
  CHECK_FALSE(limiter.take("192.0.2.1", t0 + 2s).has_value());
  CHECK(limiter.take("192.0.2.1", t0 + 2s).has_value());
  // Refills to the burst, never beyond it.
  const auto later = t0 + 3600s;
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(limiter.take("192.0.2.1", later).has_value());
  CHECK(limiter.take("192.0.2.1", later).has_value());
}

TEST_CASE("rate limiter: IPv6 shares a bucket per /64, 0 disables", "[public]") {
  CHECK(rate_limiter::client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  CHECK(rate_limiter::client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64");
  CHECK(rate_limiter::client_key("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(rate_limiter::client_key("192.0.2.7") == "192.0.2.7");
  rate_limiter limiter(60, 2);
  const auto t0 = rate_limiter::clock::time_point{} + 10s;
  CHECK_FALSE(limiter.take("2001:db8:1:2:aaaa::1", t0).has_value());
  CHECK_FALSE(limiter.take("2001:db8:1:2:bbbb::2", t0).has_value());
  CHECK(limiter.take("2001:db8:1:2:cccc::3", t0).has_value());
  CHECK_FALSE(limiter.take("2001:db8:1:3::1", t0).has_value());
  rate_limiter off(0, 10);
  for (int i = 0; i < 100; ++i)
    CHECK_FALSE(off.take("192.0.2.1", t0).has_value());
}

TEST_CASE("rate limiter: the table stays bounded under many addresses", "[public]") {
  rate_limiter limiter(30, 10, 100);
  const auto t0 = rate_limiter::clock::time_point{} + 10s;
  for (int i = 0; i < 1000; ++i)
    CHECK_FALSE(limiter.take("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), t0)
                    .has_value());
  // Still limits a busy address after the churn.
  for (int i = 0; i < 10; ++i)
    limiter.take("198.51.100.1", t0);
  CHECK(limiter.take("198.51.100.1", t0).has_value());
}

TEST_CASE("language: ?lang wins, then Accept-Language by q, default Chinese", "[public]") {
  const std::string en = "en", zh = "zh", fr = "fr";
  CHECK(choose_language(nullptr, "") == language::zh);
  CHECK(choose_language(&en, "zh-CN") == language::en);
  CHECK(choose_language(&zh, "en-US") == language::zh);
  CHECK(choose_language(&fr, "en-US,en;q=0.9") == language::en);
  CHECK(choose_language(nullptr, "en-GB,en;q=0.9") == language::en);
  CHECK(choose_language(nullptr, "zh-CN,zh;q=0.9,en;q=0.8") == language::zh);
  CHECK(choose_language(nullptr, "fr, en;q=0.5, zh;q=0.7") == language::zh);
  CHECK(choose_language(nullptr, "de-DE") == language::zh);
  CHECK(choose_language(nullptr, "english") == language::zh);  // not a tag of en
  CHECK(lang_tag(language::zh) == "zh-CN");
  CHECK(format_date(0) == "1970-01-01");
  CHECK(reason_label("phishing", language::en) == "Phishing");
  CHECK(reason_label("phishing", language::zh) == "钓鱼");
  CHECK(reason_label("not_a_reason", language::en) == "not_a_reason");
}

TEST_CASE("bulletin bodies: blank lines split paragraphs, newlines stay breaks", "[public]") {
  const auto p = split_paragraphs("first line\nsecond line\n\n  \nnext para\r\n\n\n");
  REQUIRE(p.size() == 2);
  CHECK(p[0] == std::vector<std::string>{"first line", "second line"});
  CHECK(p[1] == std::vector<std::string>{"next para"});
  CHECK(split_paragraphs("").empty());
  CHECK(split_paragraphs("\n\n").empty());
  CHECK(excerpt("a\nb\n\nc", 100) == "a b");
  // Cut on a character boundary: "诈骗" is 6 bytes; 4 bytes keep one character.
  CHECK(excerpt("诈骗", 4) == "诈…");
}

TEST_CASE("page cache: a hit needs the current version", "[public]") {
  page_cache cache(2);
  auto page = std::make_shared<cached_page>(cached_page{7, "body", etag_of("body")});
  cache.put("a", page);
  CHECK(cache.find("a", 7) != nullptr);
  CHECK(cache.find("a", 8) == nullptr);
  // An older render never replaces a newer one.
  cache.put("a", std::make_shared<cached_page>(cached_page{6, "old", etag_of("old")}));
  REQUIRE(cache.find("a", 7) != nullptr);
  CHECK(cache.find("a", 7)->body == "body");
  // Bounded.
  cache.put("b", page);
  cache.put("c", page);
  CHECK(cache.find("c", 7) != nullptr);
  CHECK(etag_of("body") != etag_of("bodz"));
  CHECK(etag_of("body").size() == 18);
  CHECK(etag_of("body").front() == '"');
}
