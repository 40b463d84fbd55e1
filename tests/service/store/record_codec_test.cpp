// record_codec: a change-log entry decodes into exactly the change it holds,
// and anything malformed is a protocol error, never a half-filled change.
#include <catch2/catch.hpp>

#include "store/record_codec.hpp"

namespace banlist::test {
namespace {

using service::redis_array;
using service::redis_value;

redis_value text(std::string s) {
  return redis_value{std::move(s)};
}

// [id, [field, value, ...]] as XRANGE returns it.
redis_value log_entry(std::string id, std::vector<std::string> fields) {
  redis_array items;
  for (auto& f : fields)
    items.push_back(text(std::move(f)));
  return redis_value{redis_array{text(std::move(id)), redis_value{std::move(items)}}};
}

const std::string kFp = "0123456789abcdef00112233445566ff";
const std::string kDigest = "ffeeddccbbaa99887766554433221100";

std::vector<std::string> good_fields() {
  return {"op", "ban",           "fp",     kFp,    "type", "email", "reason", "spam",
          "at", "1700000000123", "digest", kDigest};
}

}  // namespace

TEST_CASE("record codec: a log entry decodes whole", "[store][codec]") {
  auto c = service::decode_change(log_entry("42-1", good_fields()));
  REQUIRE(c.has_value());
  CHECK(c->seq == 42);
  CHECK(c->op == service::change_op::ban);
  CHECK(c->fp == *fingerprint::from_hex(kFp));
  CHECK(c->digest == *fingerprint::from_hex(kDigest));
  CHECK(c->type == sdk::identifier_type::email);
  CHECK(c->reason == "spam");
  CHECK(c->at_ms == 1700000000123);

  SECTION("a lift") {
    auto fields = good_fields();
    fields[1] = "lift";
    auto lift = service::decode_change(log_entry("43-1", fields));
    REQUIRE(lift.has_value());
    CHECK(lift->op == service::change_op::lift);
  }
  SECTION("fields in another order, unknown ones ignored, the first of a name wins") {
    std::vector<std::string> fields{"digest", kDigest, "extra", "x",     "at", "5",
                                    "reason", "spam",  "type",  "phone", "fp", kFp,
                                    "op",     "ban",   "type",  "email"};
    auto other = service::decode_change(log_entry("7-1", fields));
    REQUIRE(other.has_value());
    CHECK(other->type == sdk::identifier_type::phone);
    CHECK(other->at_ms == 5);
  }
}

TEST_CASE("record codec: a malformed log entry is a protocol error", "[store][codec]") {
  auto refused = [](const redis_value& v) {
    auto c = service::decode_change(v);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == service::store_errc::protocol_error);
  };
  SECTION("missing field") {
    for (std::size_t drop = 0; drop < good_fields().size(); drop += 2) {
      auto fields = good_fields();
      if (fields[drop] == "reason")
        continue;  // an empty reason is the vocabulary's business, not the codec's
      fields.erase(fields.begin() + static_cast<long>(drop),
                   fields.begin() + static_cast<long>(drop) + 2);
      refused(log_entry("1-1", fields));
    }
  }
  SECTION("bad values") {
    auto fields = good_fields();
    fields[1] = "ban!";
    refused(log_entry("1-1", fields));
    fields = good_fields();
    fields[3] = kFp.substr(1);
    refused(log_entry("1-1", fields));
    fields = good_fields();
    fields[9] = "12x";
    refused(log_entry("1-1", fields));
    refused(log_entry("x-1", good_fields()));
    refused(log_entry("12", good_fields()));
  }
  SECTION("wrong shapes") {
    auto fields = good_fields();
    fields.pop_back();
    refused(log_entry("1-1", fields));  // odd field list
    refused(text("1-1"));
    refused(redis_value{redis_array{text("1-1")}});
    refused(redis_value{redis_array{redis_value{std::int64_t{1}}, text("x")}});
    redis_array items;
    for (auto& f : good_fields())
      items.push_back(text(f));
    items[1] = redis_value{std::int64_t{3}};  // a non-string value
    refused(redis_value{redis_array{text("1-1"), redis_value{std::move(items)}}});
  }
}

}  // namespace banlist::test
