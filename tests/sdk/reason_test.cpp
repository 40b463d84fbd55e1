// Reason and op vocabularies: names and codes are stable and round trip, and
// a change's reason is read in its op's vocabulary.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/wire_errors.hpp"
#include "wire_test_support.hpp"

using namespace wire_test;

TEST_CASE("reason: names and codes round trip", "[sdk][wire]") {
  std::set<std::string_view> names;
  for (ban_reason r : kBanReasons) {
    CHECK(parse_reason(to_string(r)) == r);
    CHECK(ban_reason_from_code(static_cast<std::uint8_t>(r)) == r);
    CHECK(names.insert(to_string(r)).second);
  }
  names.clear();
  for (lift_reason r : kLiftReasons) {
    CHECK(parse_lift_reason(to_string(r)) == r);
    CHECK(lift_reason_from_code(static_cast<std::uint8_t>(r)) == r);
    CHECK(names.insert(to_string(r)).second);
  }
  CHECK(parse_change_op("ban") == change_op::ban);
  CHECK(parse_change_op("lift") == change_op::lift);
  CHECK(change_op_from_code(1) == change_op::ban);
  CHECK(change_op_from_code(2) == change_op::lift);
}

TEST_CASE("reason: the published codes never change", "[sdk][wire]") {
  // docs/protocol.md (section 3), "Reason codes".
  CHECK(static_cast<int>(ban_reason::telecom_fraud) == 1);
  CHECK(static_cast<int>(ban_reason::spam) == 14);
  CHECK(static_cast<int>(ban_reason::other) == 255);
  CHECK(static_cast<int>(lift_reason::appeal_granted) == 1);
  CHECK(static_cast<int>(lift_reason::reassigned) == 4);
  CHECK(static_cast<int>(lift_reason::other) == 255);
  CHECK(std::size(kBanReasons) == 15);
  CHECK(std::size(kLiftReasons) == 5);
}

TEST_CASE("reason: unknown names and codes are refused", "[sdk][wire]") {
  CHECK_FALSE(parse_reason(""));
  CHECK_FALSE(parse_reason("Phishing"));
  CHECK_FALSE(parse_reason("appeal_granted"));
  CHECK_FALSE(parse_lift_reason("phishing"));
  CHECK_FALSE(parse_change_op("Ban"));
  int valid_ban = 0;
  int valid_lift = 0;
  for (int code = 0; code < 256; ++code) {
    valid_ban += ban_reason_from_code(static_cast<std::uint8_t>(code)).has_value();
    valid_lift += lift_reason_from_code(static_cast<std::uint8_t>(code)).has_value();
  }
  CHECK(valid_ban == 15);
  CHECK(valid_lift == 5);
  CHECK_FALSE(change_op_from_code(0));
  CHECK_FALSE(change_op_from_code(3));
  CHECK(to_string(static_cast<ban_reason>(0)).empty());
}

TEST_CASE("reason: a change's reason is read in its op's vocabulary", "[sdk][wire]") {
  CHECK(reason_name(change_op::ban, 2) == "phishing");
  CHECK(reason_name(change_op::lift, 2) == "mistake");
  CHECK(reason_name(change_op::lift, 6).empty());
  CHECK(reason_name(static_cast<change_op>(9), 1).empty());
  CHECK(parse_reason_code(change_op::ban, "spam") == 14);
  CHECK_FALSE(parse_reason_code(change_op::lift, "spam"));
  CHECK(parse_reason_code(change_op::lift, "expired") == 3);
}

TEST_CASE("wire errors: category and messages", "[sdk][wire]") {
  const std::error_code ec = wire_errc::digest_mismatch;
  CHECK(ec.category().name() == std::string("banlist.wire"));
  CHECK(ec.message() == "set digest mismatch");
  CHECK(ec == wire_errc::digest_mismatch);
  CHECK(ec != wire_errc::seq_gap);
  for (int code = 1; code <= static_cast<int>(wire_errc::not_banned); ++code)
    CHECK(make_error_code(static_cast<wire_errc>(code)).message() != "unknown wire error");
}
