// record_codec: a change-log entry and a packed ban record decode into
// exactly what they hold, and anything malformed is a protocol error, never
// a half-filled change or record.
#include <array>

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

// What both entry forms built from kFp, kDigest, email, spam and
// 1700000000123 at seq 42 must decode to.
void check_whole_ban(const service::store_result<service::change>& c) {
  REQUIRE(c.has_value());
  CHECK(c->seq == 42);
  CHECK(c->op == service::change_op::ban);
  CHECK(c->fp == *fingerprint::from_hex(kFp));
  CHECK(c->digest == *fingerprint::from_hex(kDigest));
  CHECK(c->type == sdk::identifier_type::email);
  CHECK(c->reason == "spam");
  CHECK(c->at_ms == 1700000000123);
}

}  // namespace

TEST_CASE("record codec: a log entry decodes whole", "[store][codec]") {
  check_whole_ban(service::decode_change(log_entry("42-1", good_fields())));

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

namespace {

// A layout 6 entry as change.lua writes it, built byte by byte here: op,
// fingerprint bytes, digest bytes, 48-bit ms, type length, type, reason.
std::string packed_change(unsigned op, const std::string& type, const std::string& reason,
                          std::uint64_t at_ms = 1700000000123) {
  std::string out(1, static_cast<char>(op));
  for (const std::string& hex : {kFp, kDigest}) {
    for (std::size_t i = 0; i < 32; i += 2)
      out.push_back(static_cast<char>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  for (int shift = 40; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((at_ms >> shift) & 0xff));
  out.push_back(static_cast<char>(type.size()));
  return out + type + reason;
}

}  // namespace

namespace {

// A layout 7 (coded) entry: op + 128, the same 39 bytes, the type's code,
// the reason's code, and the reason's text when that code is 0.
std::string coded_change(unsigned op, unsigned type_code, unsigned reason_code,
                         const std::string& text = "") {
  std::string out = packed_change(op, "x", "");
  out.resize(39);
  out[0] = static_cast<char>(op + 128);
  out.push_back(static_cast<char>(type_code));
  out.push_back(static_cast<char>(reason_code));
  return out + text;
}

}  // namespace

TEST_CASE("record codec: a coded log entry decodes whole", "[store][codec]") {
  // email = 2; spam = 14: the same change as the other forms.
  check_whole_ban(service::decode_change(log_entry("42-1", {"c", coded_change(1, 2, 14)})));

  auto text_reason =
      service::decode_change(log_entry("43-1", {"c", coded_change(1, 7, 0, "fraud")}));
  REQUIRE(text_reason.has_value());
  CHECK(text_reason->type == sdk::identifier_type::domain);
  CHECK(text_reason->reason == "fraud");

  auto other = service::decode_change(log_entry("44-1", {"c", coded_change(1, 1, 255)}));
  REQUIRE(other.has_value());
  CHECK(other->reason == "other");

  auto lift = service::decode_change(log_entry("45-1", {"c", coded_change(2, 8, 0, "mistake")}));
  REQUIRE(lift.has_value());
  CHECK(lift->op == service::change_op::lift);
  CHECK(lift->type == sdk::identifier_type::app);
  CHECK(lift->reason == "mistake");
  auto empty = service::decode_change(log_entry("46-1", {"c", coded_change(2, 1, 0)}));
  REQUIRE(empty.has_value());
  CHECK(empty->reason.empty());
}

TEST_CASE("record codec: a malformed coded log entry is a protocol error", "[store][codec]") {
  auto refused = [](std::string packed) {
    auto c = service::decode_change(log_entry("1-1", {"c", std::move(packed)}));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == service::store_errc::protocol_error);
  };
  const auto good = coded_change(1, 1, 2);
  for (std::size_t size = 0; size < good.size(); ++size)
    refused(good.substr(0, size));
  refused(coded_change(3, 1, 2));       // no such op
  refused(coded_change(1, 0, 2));       // no type 0
  refused(coded_change(1, 9, 2));       // nor 9
  refused(coded_change(1, 1, 15));      // no ban reason 15
  refused(coded_change(2, 1, 9));       // no lift reason 9
  refused(coded_change(1, 1, 2, "x"));  // text after a coded reason
}

TEST_CASE("record codec: a packed log entry decodes whole", "[store][codec]") {
  check_whole_ban(
      service::decode_change(log_entry("42-1", {"c", packed_change(1, "email", "spam")})));

  // The largest time 48 bits hold, a lift, and a lift without a reason.
  auto lift = service::decode_change(
      log_entry("43-1", {"c", packed_change(2, "bank_card", "", (std::uint64_t{1} << 48) - 1)}));
  REQUIRE(lift.has_value());
  CHECK(lift->op == service::change_op::lift);
  CHECK(lift->type == sdk::identifier_type::bank_card);
  CHECK(lift->reason.empty());
  CHECK(lift->at_ms == (std::int64_t{1} << 48) - 1);
}

TEST_CASE("record codec: a malformed packed log entry is a protocol error", "[store][codec]") {
  auto refused = [](std::string packed) {
    auto c = service::decode_change(log_entry("1-1", {"c", std::move(packed)}));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == service::store_errc::protocol_error);
  };
  const std::string good = packed_change(1, "phone", "scam");
  // Every cut short of the type's end: fewer than 40 bytes, or a type
  // length that runs past the value.
  for (std::size_t size = 0; size < 40 + 5; ++size)
    refused(good.substr(0, size));
  refused(packed_change(0, "phone", "scam"));
  refused(packed_change(3, "phone", "scam"));
  refused(packed_change(1, "telephone", "scam"));  // not a type's name
  refused(packed_change(1, "", "scam"));
  auto wrong_length = good;
  wrong_length[39] = 6;  // "phones": the reason's first byte taken for the type
  refused(wrong_length);
  // A value that is not a string.
  redis_array items{text("c"), redis_value{std::int64_t{7}}};
  auto not_text =
      service::decode_change(redis_value{redis_array{text("1-1"), redis_value{std::move(items)}}});
  REQUIRE_FALSE(not_text.has_value());
  CHECK(not_text.error().code == service::store_errc::protocol_error);
}

namespace {

// MessagePack as cmsgpack writes it for record.lua, built by hand so the
// decoder is judged against the format, not against itself.
struct packer {
  std::string out;

  void byte(unsigned v) { out.push_back(static_cast<char>(v)); }
  void big_endian(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
      byte(static_cast<unsigned>((v >> (8 * i)) & 0xff));
  }
  packer& array(std::size_t n) {
    if (n < 16) {
      byte(0x90 | static_cast<unsigned>(n));
    } else {
      byte(0xdc);
      big_endian(n, 2);
    }
    return *this;
  }
  packer& str(std::string_view s) {
    if (s.size() < 32) {
      byte(0xa0 | static_cast<unsigned>(s.size()));
    } else if (s.size() < 256) {
      byte(0xd9);
      big_endian(s.size(), 1);
    } else {
      byte(0xda);
      big_endian(s.size(), 2);
    }
    out.append(s);
    return *this;
  }
  packer& num(std::int64_t v) {
    if (v >= 0 && v < 128) {
      byte(static_cast<unsigned>(v));
    } else if (v >= 0 && v < 256) {
      byte(0xcc);
      big_endian(static_cast<std::uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      byte(0xcd);
      big_endian(static_cast<std::uint64_t>(v), 2);
    } else if (v >= 0 && v <= 0xffffffffLL) {
      byte(0xce);
      big_endian(static_cast<std::uint64_t>(v), 4);
    } else if (v >= 0) {
      byte(0xcf);
      big_endian(static_cast<std::uint64_t>(v), 8);
    } else if (v >= -32) {
      byte(static_cast<unsigned>(v) & 0xff);
    } else {
      byte(0xd3);
      big_endian(static_cast<std::uint64_t>(v), 8);
    }
    return *this;
  }
};

const std::string kNote(300, 'n');  // str16

// The 15 values of a banned record (record.lua's R), the public one with
// its masked form stored.
packer banned_values(packer p, std::size_t size, bool is_public) {
  p.array(size).num(1).str("phone").str("+8613812345678").str(is_public ? "138****5678" : "");
  p.str("fraud").str(kNote).str(std::string(40, 'c')).str("hotline").num(is_public ? 1 : 0);
  p.num(1700000000123).str("k-mod").num(70000).num(0).str("").num(0);
  return p;
}

std::string lifted_record() {
  auto p = banned_values(packer{}, 21, false);
  // status is the last of the 15: rewrite it as lifted.
  p.out.back() = 0x01;
  p.num(1700000009999).str("k-admin").str("appeal").num(70001).str("L-1").str("");
  return p.out;
}

// A version 2 record (record.lua's record_put): the type as its code, the
// reason as a code or (outside the vocabulary) text, the key ids packed.
const std::string kPackedKeyId("\0\x01\x23\x45\x67\x89\xab\xcd\xef", 9);

packer coded_values(packer p, std::size_t size, std::int64_t type_code, bool reason_as_code) {
  p.array(size).num(2).num(type_code).str("user@example.com").str("");
  if (reason_as_code)
    p.num(2);  // phishing
  else
    p.str("fraud");
  p.str("n").str("c").str("hotline").num(0);
  p.num(1700000000123).str(kPackedKeyId).num(70000).num(0).str("").num(0);
  return p;
}

}  // namespace

TEST_CASE("record codec: a version 2 record decodes its codes and key ids", "[store][codec]") {
  const auto fp = *fingerprint::from_hex(kFp);
  auto r = service::decode_packed_record(fp, coded_values(packer{}, 15, 2, true).out);
  REQUIRE(r.has_value());
  CHECK(r->type == sdk::identifier_type::email);
  CHECK(r->value == "user@example.com");
  CHECK(r->reason == "phishing");
  CHECK(r->banned_by == "0123456789abcdef");
  CHECK(r->status == service::ban_status::banned);

  auto text_reason = service::decode_packed_record(fp, coded_values(packer{}, 15, 8, false).out);
  REQUIRE(text_reason.has_value());
  CHECK(text_reason->type == sdk::identifier_type::app);
  CHECK(text_reason->reason == "fraud");

  auto other = coded_values(packer{}, 15, 1, false);
  // "other" is code 255 (uint8: 0xcc 0xff) in place of the reason's text.
  auto at = other.out.find(
      "\xa5"
      "fraud");
  REQUIRE(at != std::string::npos);
  other.out.replace(at, 6, "\xcc\xff");
  auto decoded_other = service::decode_packed_record(fp, other.out);
  REQUIRE(decoded_other.has_value());
  CHECK(decoded_other->reason == "other");

  auto lifted = coded_values(packer{}, 21, 1, true);
  lifted.out.back() = 0x01;
  lifted.num(1700000009999).str(kPackedKeyId).str("mistake").num(70001).str("").str("");
  auto decoded_lifted = service::decode_packed_record(fp, lifted.out);
  REQUIRE(decoded_lifted.has_value());
  CHECK(decoded_lifted->lifted_by == "0123456789abcdef");
  CHECK(decoded_lifted->lift_reason == "mistake");

  // A key id that was not 16 hex digits is stored as it is.
  auto plain = coded_values(packer{}, 15, 1, true);
  const auto key_at = plain.out.find(kPackedKeyId);
  plain.out.replace(key_at - 1, 10,
                    std::string("\xa5"
                                "k-mod"));
  auto decoded_plain = service::decode_packed_record(fp, plain.out);
  REQUIRE(decoded_plain.has_value());
  CHECK(decoded_plain->banned_by == "k-mod");

  // Codes outside the vocabulary, and version 1's names in a version 2
  // record, are refused.
  for (const std::int64_t code : {0, 9, 255, 300}) {
    auto bad_type = service::decode_packed_record(fp, coded_values(packer{}, 15, code, true).out);
    CHECK_FALSE(bad_type.has_value());
  }
  auto bad_reason = coded_values(packer{}, 15, 1, true);
  bad_reason.out[bad_reason.out.find("\xa0") + 1] = 15;  // reason code 15: none
  CHECK_FALSE(service::decode_packed_record(fp, bad_reason.out).has_value());
  auto names_in_v2 = banned_values(packer{}, 15, false).out;
  names_in_v2[1] = 0x02;
  CHECK_FALSE(service::decode_packed_record(fp, names_in_v2).has_value());
}

// Version 3 (layout 8): version 2 with a value of digits stored two to a
// byte after a byte 1 and a byte of the digit count (+128 for a '+').
std::string version_3(std::string_view stored_value) {
  packer p;
  p.array(15).num(3).num(1).str(std::string(stored_value)).str("").num(2);
  p.str("n").str("c").str("hotline").num(0);
  p.num(1700000000123).str(kPackedKeyId).num(70000).num(0).str("").num(0);
  return p.out;
}

TEST_CASE("record codec: a version 3 record decodes a value of packed digits", "[store][codec]") {
  const auto fp = *fingerprint::from_hex(kFp);
  // +8613812345678: 13 digits and the '+', the last nibble padding.
  auto phone = service::decode_packed_record(
      fp, version_3(std::string("\x01\x8d\x86\x13\x81\x23\x45\x67\x80", 9)));
  REQUIRE(phone.has_value());
  CHECK(phone->value == "+8613812345678");
  CHECK(phone->masked == sdk::mask(sdk::identifier_type::phone, "+8613812345678"));
  CHECK(phone->reason == "phishing");
  // 0012345678: no '+', an even count, leading zeros kept.
  auto card =
      service::decode_packed_record(fp, version_3(std::string("\x01\x0a\x00\x12\x34\x56\x78", 7)));
  REQUIRE(card.has_value());
  CHECK(card->value == "0012345678");
  // Any other value is text, as in version 2.
  auto text = service::decode_packed_record(fp, version_3("user@example.com"));
  REQUIRE(text.has_value());
  CHECK(text->value == "user@example.com");
  // A count the bytes do not hold, a nibble that is no digit, a cut head:
  // refused, not guessed.
  for (const std::string& bad : {std::string("\x01\x8f\x86\x13\x81\x23\x45\x67\x80", 9),
                                 std::string("\x01\x04\x12\x3a", 4), std::string("\x01", 1)}) {
    CHECK_FALSE(service::decode_packed_record(fp, version_3(bad)).has_value());
  }
}

TEST_CASE("record codec: a packed record decodes whole", "[store][codec]") {
  const auto fp = *fingerprint::from_hex(kFp);
  SECTION("banned, not public: masked from the value") {
    auto r = service::decode_packed_record(fp, banned_values(packer{}, 15, false).out);
    REQUIRE(r.has_value());
    CHECK(r->fp == fp);
    CHECK(r->type == sdk::identifier_type::phone);
    CHECK(r->value == "+8613812345678");
    CHECK(r->masked == sdk::mask(sdk::identifier_type::phone, "+8613812345678"));
    CHECK_FALSE(r->masked.empty());
    CHECK(r->reason == "fraud");
    CHECK(r->note == kNote);
    CHECK(r->case_id == std::string(40, 'c'));
    CHECK(r->source == "hotline");
    CHECK_FALSE(r->is_public);
    CHECK(r->banned_at_ms == 1700000000123);
    CHECK(r->banned_by == "k-mod");
    CHECK(r->seq == 70000);
    CHECK_FALSE(r->expires_at.has_value());
    CHECK(r->report_id.empty());
    CHECK(r->status == service::ban_status::banned);
  }
  SECTION("banned, public: masked as stored") {
    auto r = service::decode_packed_record(fp, banned_values(packer{}, 15, true).out);
    REQUIRE(r.has_value());
    CHECK(r->is_public);
    CHECK(r->masked == "138****5678");
  }
  SECTION("lifted") {
    auto r = service::decode_packed_record(fp, lifted_record());
    REQUIRE(r.has_value());
    CHECK(r->status == service::ban_status::lifted);
    CHECK(r->lifted_at_ms == 1700000009999);
    CHECK(r->lifted_by == "k-admin");
    CHECK(r->lift_reason == "appeal");
    CHECK(r->lift_seq == 70001);
    CHECK(r->lift_case_id == "L-1");
    CHECK(r->lift_note.empty());
    CHECK(r->seq == 70000);
  }
}

TEST_CASE("record codec: a malformed packed record is refused", "[store][codec]") {
  const auto fp = *fingerprint::from_hex(kFp);
  auto refused = [&](std::string_view packed) {
    auto r = service::decode_packed_record(fp, packed);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == service::store_errc::protocol_error);
  };
  SECTION("every truncation") {
    for (const auto& whole :
         {banned_values(packer{}, 15, true).out, lifted_record(),
          coded_values(packer{}, 15, 1, true).out, coded_values(packer{}, 15, 1, false).out}) {
      for (std::size_t n = 0; n < whole.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        refused(std::string_view(whole).substr(0, n));
      }
    }
  }
  SECTION("wrong sizes and versions") {
    refused(banned_values(packer{}, 14, false).out);
    refused(banned_values(packer{}, 16, false).out);
    auto v3 = banned_values(packer{}, 15, false).out;
    v3[1] = 0x03;  // version 3
    refused(v3);
  }
  SECTION("a lifted status without the lift values, and an unknown status") {
    auto half = banned_values(packer{}, 15, false).out;
    half.back() = 0x01;
    refused(half);
    auto unknown = banned_values(packer{}, 15, false).out;
    unknown.back() = 0x02;
    refused(unknown);
  }
  SECTION("wrong kinds") {
    packer map;
    map.byte(0x81);  // a map of one
    map.str("type").str("phone");
    refused(map.out);
    auto text_for_number = banned_values(packer{}, 15, false).out;
    text_for_number[1] = static_cast<char>(0xa1);  // version as a 1-char string
    refused(text_for_number);
    packer negative_seq;
    negative_seq.array(15).num(1).str("phone").str("+8613812345678").str("").str("fraud");
    negative_seq.str("").str("").str("").num(0).num(1700000000123).str("k").num(-5);
    negative_seq.num(0).str("").num(0);
    refused(negative_seq.out);
    packer bad_type;
    bad_type.array(15).num(1).str("fax").str("1").str("").str("fraud").str("").str("").str("");
    bad_type.num(0).num(1).str("k").num(1).num(0).str("").num(0);
    refused(bad_type.out);
    packer float_time = banned_values(packer{}, 15, false);
    auto f = float_time.out;
    const auto at = f.find(static_cast<char>(0xcf));  // banned_at, the one 64-bit number
    REQUIRE(at != std::string::npos);
    f[at] = static_cast<char>(0xcb);  // the same 8 bytes as a double
    refused(f);
  }
}

TEST_CASE("record codec: a fingerprint's bytes are in hex order", "[store][codec]") {
  const auto fp = *fingerprint::from_hex(kFp);
  const std::string field = service::fingerprint_bytes(fp);
  REQUIRE(field.size() == 16);
  // Byte i is hex digits 2i and 2i+1, as record.lua's struct.pack writes it.
  for (std::size_t i = 0; i < 16; ++i)
    CHECK(static_cast<std::uint8_t>(field[i]) == std::stoul(kFp.substr(2 * i, 2), nullptr, 16));
  CHECK(service::fingerprint_of_bytes(field) == fp);
  CHECK_FALSE(service::fingerprint_of_bytes(field.substr(0, 15)));
  CHECK_FALSE(service::fingerprint_of_bytes(field + "x"));
}

namespace {

// A layout 7 audit value as audit.lua writes it, built byte by byte here:
// "ban" as text, a key id and a request id packed from hex, an IPv4
// address as its 4 bytes, the fingerprint packed, then the coded detail
// (zero, the type's code, the seq in 48 bits) of "type=phone seq=12".
const std::string kCodedBanDetail("\0\x01\0\0\0\0\0\x0c", 8);

std::string packed_audit() {
  auto hex_part = [](const std::string& hex) {
    std::string out(1, static_cast<char>(192 + hex.size() / 2));
    for (std::size_t i = 0; i < hex.size(); i += 2)
      out.push_back(static_cast<char>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
  };
  return std::string(
             "\x03"
             "ban",
             4) +
         hex_part("6f1c2a9b3d4e5f60") + std::string("\xff\x0a\x00\x00\x09", 5) +
         hex_part("00ff00ff00ff00ff00ff00ff00ff00ff") + hex_part(kFp) + kCodedBanDetail;
}

}  // namespace

TEST_CASE("record codec: a packed audit entry decodes whole, and encodes to the same bytes",
          "[store][codec]") {
  auto a = service::decode_audit_entry(log_entry("1700000000123-4", {"a", packed_audit()}));
  REQUIRE(a.has_value());
  CHECK(a->id == "1700000000123-4");
  CHECK(a->at_ms == 1700000000123);  // the id's milliseconds
  CHECK(a->action == "ban");
  CHECK(a->key_id == "6f1c2a9b3d4e5f60");
  CHECK(a->address == "10.0.0.9");
  CHECK(a->request_id == "00ff00ff00ff00ff00ff00ff00ff00ff");
  CHECK(a->target == kFp);
  CHECK(a->detail == "type=phone seq=12");
  CHECK(service::encode_audit_entry("ban", "6f1c2a9b3d4e5f60", "10.0.0.9",
                                    "00ff00ff00ff00ff00ff00ff00ff00ff", kFp,
                                    "type=phone seq=12") == packed_audit());
}

TEST_CASE("record codec: audit parts that are not lowercase hex stay text, any length",
          "[store][codec]") {
  // Uppercase, odd-length and non-hex ids, an empty address, a part of 191
  // bytes and more (16-bit length), hex too long to pack, an empty detail.
  const std::vector<std::array<std::string, 6>> cases = {
      {"key_create", "system", "", "ABCDEF12", "abc", ""},
      {"lift", "0123456789abcdef", "::1", std::string(191, 'r'), std::string(300, 'x'), "seq=9"},
      {"export_raw", "ab", "203.0.113.45", std::string(128, 'f'), "bans", "type=phone"},
      {"", "", "", "", "", std::string(70000, 'd')},
  };
  for (const auto& c : cases) {
    const auto packed = service::encode_audit_entry(c[0], c[1], c[2], c[3], c[4], c[5]);
    auto a = service::decode_audit_entry(log_entry("5-0", {"a", packed}));
    REQUIRE(a.has_value());
    CHECK(a->action == c[0]);
    CHECK(a->key_id == c[1]);
    CHECK(a->address == c[2]);
    CHECK(a->request_id == c[3]);
    CHECK(a->target == c[4]);
    CHECK(a->detail == c[5]);
  }
  // Only lowercase hex of even length up to 124 digits is packed.
  CHECK(service::encode_audit_entry("", "", "", "ABCDEF12", "", "")[3] == 8);
  CHECK(static_cast<unsigned char>(
            service::encode_audit_entry("", "", "", std::string(124, 'a'), "", "")[3]) == 192 + 62);
  CHECK(static_cast<unsigned char>(
            service::encode_audit_entry("", "", "", std::string(126, 'a'), "", "")[3]) == 126);
  CHECK(static_cast<unsigned char>(
            service::encode_audit_entry("", "", "", std::string(128, 'f'), "", "")[3]) == 128);
}

TEST_CASE(
    "record codec: IPv4 addresses and ban details are coded only when they read back the same",
    "[store][codec]") {
  auto round_trip = [](const std::string& address, const std::string& detail) {
    const auto packed = service::encode_audit_entry("ban", "k", address, "r", "t", detail);
    auto a = service::decode_audit_entry(log_entry("5-0", {"a", packed}));
    REQUIRE(a.has_value());
    CHECK(a->address == address);
    CHECK(a->detail == detail);
    return packed;
  };
  // Parts: "ban" (4 bytes), "k" (2), then the address at byte 6.
  for (const std::string ipv4 : {"0.0.0.0", "10.20.30.40", "255.255.255.255", "127.0.0.1"}) {
    const auto packed = round_trip(ipv4, "");
    CHECK(static_cast<std::uint8_t>(packed[6]) == 255);
    CHECK(packed.size() == 6 + 5 + 2 + 2);
  }
  for (const std::string text : {"010.0.0.1", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.", "::1",
                                 "1.2.3.4:80", "-1.2.3.4", "1.2.3.04", ""}) {
    const auto packed = round_trip(text, "");
    CHECK(static_cast<std::uint8_t>(packed[6]) == text.size());
  }
  // A ban's detail: 8 bytes; anything else stays text.
  const auto coded = round_trip("::1", "type=bank_card seq=281474976710655");
  CHECK(coded.size() == 6 + 4 + 2 + 2 + 8);
  CHECK(coded[coded.size() - 8] == '\0');
  for (const std::string text : {"type=phone seq=007", "type=phone seq=281474976710656",
                                 "type=telephone seq=1", "type=phone seq=", "type=phone seq=1 more",
                                 "seq=9", "type=phone  seq=1", "title_bytes=3"}) {
    const auto packed = round_trip("::1", text);
    CHECK(packed.substr(packed.size() - text.size()) == text);
  }
  // A coded detail of another size, or with no such type, is refused.
  for (const auto& bad :
       {std::string("\0\x01\0\0\0\0\0", 7), std::string("\0\x01\0\0\0\0\0\0\0", 9),
        std::string("\0\x09\0\0\0\0\0\x01", 8)}) {
    auto a = service::decode_audit_entry(
        log_entry("5-0", {"a", service::encode_audit_entry("ban", "k", "a", "r", "t", "") + bad}));
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == service::store_errc::protocol_error);
  }
}

TEST_CASE("record codec: a packed audit entry cut short is a protocol error; older named ones read",
          "[store][codec]") {
  const auto good = packed_audit();
  // Every cut inside the five parts (the detail may be any length, even
  // none) and inside the coded detail.
  const auto parts_end = good.size() - kCodedBanDetail.size();
  for (std::size_t size = 0; size < good.size(); ++size) {
    if (size == parts_end)
      continue;
    auto a = service::decode_audit_entry(log_entry("1-0", {"a", good.substr(0, size)}));
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == service::store_errc::protocol_error);
  }
  // A 16-bit length past the end.
  auto long_cut = service::decode_audit_entry(log_entry("1-0", {"a", std::string("\xbf\x01\x00"
                                                                                 "abc",
                                                                                 6)}));
  REQUIRE_FALSE(long_cut.has_value());

  auto old = service::decode_audit_entry(
      log_entry("1700000000999-0", {"at", "1700000000123", "key", "k1", "addr", "10.0.0.1", "req",
                                    "r1", "action", "lift", "target", kFp, "detail", "seq=3"}));
  REQUIRE(old.has_value());
  CHECK(old->at_ms == 1700000000123);  // its own field, not the id
  CHECK(old->key_id == "k1");
  CHECK(old->action == "lift");
  CHECK(old->target == kFp);
  CHECK(old->detail == "seq=3");
}

}  // namespace banlist::test
