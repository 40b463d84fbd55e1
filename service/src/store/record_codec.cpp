#include "store/record_codec.hpp"

#include <array>
#include <charconv>

#include "banlist/sdk/reason.hpp"
#include "store/hex.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace {

store_error bad(std::string_view what) {
  return to_store_error(failure_kind::unexpected_reply, what);
}

const std::string* find(const field_map& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string get_or_empty(const field_map& fields, const std::string& name) {
  const auto* v = find(fields, name);
  return v ? *v : std::string{};
}

// Reads the MessagePack that cmsgpack writes for a packed record: one array
// of integers and strings. Anything else (maps, floats, binaries, nesting)
// is not a record.
class packed_reader {
 public:
  explicit packed_reader(std::string_view in) noexcept : in_(in) {}

  std::optional<std::size_t> array_size() noexcept {
    const auto tag = byte();
    if (!tag)
      return std::nullopt;
    if ((*tag & 0xf0) == 0x90)
      return *tag & 0x0f;
    if (*tag == 0xdc)
      return big_endian(2);
    if (*tag == 0xdd)
      return big_endian(4);
    return std::nullopt;
  }

  // The next value, which must be an integer.
  std::optional<std::int64_t> integer() noexcept {
    const auto tag = byte();
    if (!tag)
      return std::nullopt;
    if (*tag <= 0x7f)
      return *tag;
    if (*tag >= 0xe0)
      return static_cast<std::int8_t>(*tag);
    if (*tag >= 0xcc && *tag <= 0xcf) {  // unsigned 8, 16, 32, 64 bits
      const auto v = big_endian(std::size_t{1} << (*tag - 0xcc));
      if (!v || *v > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
      return static_cast<std::int64_t>(*v);
    }
    if (*tag >= 0xd0 && *tag <= 0xd3) {  // signed 8, 16, 32, 64 bits
      const std::size_t n = std::size_t{1} << (*tag - 0xd0);
      const auto v = big_endian(n);
      if (!v)
        return std::nullopt;
      const unsigned shift = static_cast<unsigned>(64 - 8 * n);
      return static_cast<std::int64_t>(*v << shift) >> shift;  // sign-extend
    }
    return std::nullopt;
  }

  // Whether the next value is a string (else it may be an integer).
  bool next_is_string() const noexcept {
    if (at_ == in_.size())
      return false;
    const auto tag = static_cast<std::uint8_t>(in_[at_]);
    return (tag & 0xe0) == 0xa0 || (tag >= 0xd9 && tag <= 0xdb);
  }

  // The next value, which must be a string.
  std::optional<std::string_view> string() noexcept {
    const auto tag = byte();
    if (!tag)
      return std::nullopt;
    std::optional<std::uint64_t> size;
    if ((*tag & 0xe0) == 0xa0)
      size = *tag & 0x1f;
    else if (*tag >= 0xd9 && *tag <= 0xdb)  // 8, 16, 32-bit length
      size = big_endian(std::size_t{1} << (*tag - 0xd9));
    if (!size || *size > in_.size() - at_)
      return std::nullopt;
    const auto out = in_.substr(at_, *size);
    at_ += *size;
    return out;
  }

 private:
  std::optional<std::uint8_t> byte() noexcept {
    if (at_ == in_.size())
      return std::nullopt;
    return static_cast<std::uint8_t>(in_[at_++]);
  }

  std::optional<std::uint64_t> big_endian(std::size_t bytes) noexcept {
    if (in_.size() - at_ < bytes)
      return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i)
      v = (v << 8) | static_cast<std::uint8_t>(in_[at_++]);
    return v;
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

// A key id as a version 2 record stores it (record.lua): a zero byte and 8
// raw bytes for 16 hex digits, anything else as it is.
std::string stored_key_id_text(std::string_view stored) {
  if (stored.size() != 9 || stored[0] != '\0')
    return std::string(stored);
  return hex_of_bytes(stored.substr(1));
}

// A value as a version 3 record stores it (record.lua): a byte 1, a byte
// with the digit count (plus 128 for a leading '+') and the digits two to a
// byte; any other value as it is. nullopt for a malformed packed value.
std::optional<std::string> stored_value_text(std::string_view stored) {
  if (stored.empty() || stored[0] != '\x01')
    return std::string(stored);
  if (stored.size() < 2)
    return std::nullopt;
  const auto head = static_cast<std::uint8_t>(stored[1]);
  const std::size_t digits = head & 0x7f;
  if (stored.size() != 2 + (digits + 1) / 2)
    return std::nullopt;
  std::string text = (head & 0x80) ? "+" : "";
  for (std::size_t i = 0; i < digits; ++i) {
    const auto byte = static_cast<std::uint8_t>(stored[2 + i / 2]);
    const unsigned digit = i % 2 == 0 ? byte >> 4 : byte & 0xf;
    if (digit > 9)
      return std::nullopt;
    text.push_back(static_cast<char>('0' + digit));
  }
  return text;
}

// Splits a stream entry into its id and field map.
store_result<std::pair<std::string, field_map>> split_entry(const redis_value& entry) {
  const auto* parts = entry.array();
  if (!parts || parts->size() != 2 || !(*parts)[0].string())
    return std::unexpected(bad("entry"));
  auto fields = to_field_map((*parts)[1]);
  if (!fields)
    return std::unexpected(fields.error());
  return std::pair{*(*parts)[0].string(), std::move(*fields)};
}

// The parts of a packed audit entry (audit.lua): a first byte 0-190 is
// that many bytes of text, 191 a 16-bit big-endian length and the text,
// 192-254 (byte - 192) raw bytes standing for lowercase hex, 255 an IPv4
// address's 4 bytes. The detail after them is text, or a zero byte, a type
// code and a 48-bit seq standing for "type={name} seq={seq}" (a ban's).
constexpr unsigned kAuditLongText = 191;
constexpr unsigned kAuditHex = 192;
constexpr std::size_t kAuditMaxHexBytes = 62;
constexpr unsigned kAuditIpv4 = 255;
constexpr std::size_t kCodedBanDetailSize = 8;
constexpr std::uint64_t kMaxSeq48 = (std::uint64_t{1} << 48) - 1;

// The four bytes of an IPv4 address in canonical dotted decimal (no
// leading zeros, so it prints back the same); nullopt for anything else.
std::optional<std::array<std::uint8_t, 4>> canonical_ipv4(std::string_view text) noexcept {
  std::array<std::uint8_t, 4> bytes{};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto dot = i < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos)
      return std::nullopt;
    const auto digits = text.substr(0, dot);
    const auto n = parse_u64(digits);
    if (!n || *n > 255 || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0'))
      return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(*n);
    text = i < 3 ? text.substr(dot + 1) : std::string_view{};
  }
  return bytes;
}

// "type={name} seq={seq}" as its coded form, when the name is a type's and
// the seq prints back the same and fits 48 bits.
std::optional<std::string> coded_ban_detail(std::string_view detail) {
  constexpr std::string_view kType = "type=", kSeq = " seq=";
  if (!detail.starts_with(kType))
    return std::nullopt;
  const auto seq_at = detail.find(kSeq);
  if (seq_at == std::string_view::npos)
    return std::nullopt;
  const auto type = sdk::parse_identifier_type(detail.substr(kType.size(), seq_at - kType.size()));
  const auto digits = detail.substr(seq_at + kSeq.size());
  const auto seq = parse_u64(digits);
  if (!type || !seq || *seq > kMaxSeq48 || std::to_string(*seq) != digits)
    return std::nullopt;
  std::string out(2, '\0');
  out[1] = static_cast<char>(static_cast<std::uint8_t>(*type));
  for (int shift = 40; shift >= 0; shift -= 8)
    out += static_cast<char>((*seq >> shift) & 0xff);
  return out;
}

// The detail's text from what follows the parts.
std::optional<std::string> audit_detail_text(std::string_view rest) {
  if (rest.empty() || rest[0] != '\0')
    return std::string(rest);
  if (rest.size() != kCodedBanDetailSize)
    return std::nullopt;
  const auto type = sdk::identifier_type_from_code(static_cast<std::uint8_t>(rest[1]));
  if (!type)
    return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 2; i < kCodedBanDetailSize; ++i)
    seq = seq << 8 | static_cast<std::uint8_t>(rest[i]);
  std::string text = "type=";
  text += sdk::to_string(*type);
  text += " seq=";
  text += std::to_string(seq);
  return text;
}

bool is_lower_hex(std::string_view text) noexcept {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

void append_audit_part(std::string& out, std::string_view text) {
  if (!text.empty() && text.size() % 2 == 0 && text.size() / 2 <= kAuditMaxHexBytes &&
      is_lower_hex(text)) {
    out += static_cast<char>(kAuditHex + text.size() / 2);
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i < text.size(); i += 2)
      out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
    return;
  }
  text = text.substr(0, 0xffff);
  if (text.size() >= kAuditLongText) {
    out += static_cast<char>(kAuditLongText);
    out += static_cast<char>(text.size() >> 8);
    out += static_cast<char>(text.size() & 0xff);
  } else {
    out += static_cast<char>(text.size());
  }
  out += text;
}

void append_audit_address(std::string& out, std::string_view text) {
  if (const auto ipv4 = canonical_ipv4(text)) {
    out += static_cast<char>(kAuditIpv4);
    for (auto b : *ipv4)
      out += static_cast<char>(b);
    return;
  }
  append_audit_part(out, text);
}

// Reads the parts back in order; nullopt for a part cut short.
class audit_reader {
 public:
  explicit audit_reader(std::string_view in) noexcept : in_(in) {}

  std::optional<std::string> part() {
    if (at_ >= in_.size())
      return std::nullopt;
    const unsigned tag = static_cast<std::uint8_t>(in_[at_++]);
    if (tag == kAuditIpv4) {
      const auto raw = take(4);
      if (!raw)
        return std::nullopt;
      std::string text;
      for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0)
          text += '.';
        text += std::to_string(static_cast<std::uint8_t>((*raw)[i]));
      }
      return text;
    }
    if (tag >= kAuditHex) {
      const auto raw = take(tag - kAuditHex);
      if (!raw)
        return std::nullopt;
      return hex_of_bytes(*raw);
    }
    std::size_t length = tag;
    if (tag == kAuditLongText) {
      const auto size = take(2);
      if (!size)
        return std::nullopt;
      length = static_cast<std::size_t>(static_cast<std::uint8_t>((*size)[0])) << 8 |
               static_cast<std::uint8_t>((*size)[1]);
    }
    const auto text = take(length);
    if (!text)
      return std::nullopt;
    return std::string(*text);
  }

  std::string_view rest() const noexcept { return in_.substr(at_); }

 private:
  std::optional<std::string_view> take(std::size_t n) noexcept {
    if (in_.size() - at_ < n)
      return std::nullopt;
    const auto out = in_.substr(at_, n);
    at_ += n;
    return out;
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

store_result<audit_entry> decode_packed_audit(std::string id, std::string_view packed) {
  audit_entry a;
  // The entry's time is its id's milliseconds (Redis's clock at XADD).
  a.at_ms = parse_i64(std::string_view(id).substr(0, id.find('-'))).value_or(0);
  a.id = std::move(id);
  audit_reader in(packed);
  for (std::string* part : {&a.action, &a.key_id, &a.address, &a.request_id, &a.target}) {
    auto text = in.part();
    if (!text)
      return std::unexpected(bad("packed audit entry"));
    *part = std::move(*text);
  }
  auto detail = audit_detail_text(in.rest());
  if (!detail)
    return std::unexpected(bad("packed audit entry detail"));
  a.detail = std::move(*detail);
  return a;
}

}  // namespace

std::string encode_audit_entry(std::string_view action, std::string_view key_id,
                               std::string_view address, std::string_view request_id,
                               std::string_view target, std::string_view detail) {
  std::string out;
  out.reserve(action.size() + key_id.size() + address.size() + request_id.size() + target.size() +
              detail.size() + 8);
  append_audit_part(out, action);
  append_audit_part(out, key_id);
  append_audit_address(out, address);
  append_audit_part(out, request_id);
  append_audit_part(out, target);
  if (auto coded = coded_ban_detail(detail))
    out += *coded;
  else
    out += detail;
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end)
    return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_i64(std::string_view text) noexcept {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end)
    return std::nullopt;
  return value;
}

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::partner:
      return "partner";
    case role::moderator:
      return "moderator";
    case role::admin:
      return "admin";
  }
  return "unknown";
}

std::optional<role> parse_role(std::string_view name) noexcept {
  if (name == "partner")
    return role::partner;
  if (name == "moderator")
    return role::moderator;
  if (name == "admin")
    return role::admin;
  return std::nullopt;
}

store_result<field_map> to_field_map(const redis_value& value) {
  const auto* items = value.array();
  if (!items || items->size() % 2 != 0)
    return std::unexpected(bad("field list"));
  field_map fields;
  fields.reserve(items->size() / 2);
  for (std::size_t i = 0; i < items->size(); i += 2) {
    const auto* name = (*items)[i].string();
    const auto* text = (*items)[i + 1].string();
    if (!name || !text)
      return std::unexpected(bad("field list entry"));
    fields.emplace(*name, *text);
  }
  return fields;
}

store_result<ban_record> decode_ban_record(const fingerprint& fp, const field_map& fields) {
  ban_record r;
  r.fp = fp;
  const auto* type = find(fields, "type");
  const auto parsed_type = type ? sdk::parse_identifier_type(*type) : std::nullopt;
  if (!parsed_type)
    return std::unexpected(bad("ban record: type"));
  r.type = *parsed_type;
  r.value = get_or_empty(fields, "value");
  r.masked = get_or_empty(fields, "masked");
  if (r.masked.empty())
    r.masked = sdk::mask(r.type, r.value);
  r.reason = get_or_empty(fields, "reason");
  r.note = get_or_empty(fields, "note");
  r.case_id = get_or_empty(fields, "case_id");
  r.source = get_or_empty(fields, "source");
  r.report_id = get_or_empty(fields, "report_id");
  r.is_public = get_or_empty(fields, "public") == "1";
  r.banned_by = get_or_empty(fields, "banned_by");
  const auto banned_at = parse_i64(get_or_empty(fields, "banned_at"));
  const auto seq = parse_u64(get_or_empty(fields, "seq"));
  if (!banned_at || !seq)
    return std::unexpected(bad("ban record: banned_at/seq"));
  r.banned_at_ms = *banned_at;
  r.seq = *seq;
  if (const auto* expires = find(fields, "expires_at")) {
    r.expires_at = parse_i64(*expires);
    if (!r.expires_at)
      return std::unexpected(bad("ban record: expires_at"));
  }
  const auto status = get_or_empty(fields, "status");
  if (status == "banned") {
    r.status = ban_status::banned;
  } else if (status == "lifted") {
    r.status = ban_status::lifted;
    const auto lifted_at = parse_i64(get_or_empty(fields, "lifted_at"));
    const auto lift_seq = parse_u64(get_or_empty(fields, "lift_seq"));
    if (!lifted_at || !lift_seq)
      return std::unexpected(bad("ban record: lift fields"));
    r.lifted_at_ms = *lifted_at;
    r.lift_seq = *lift_seq;
    r.lifted_by = get_or_empty(fields, "lifted_by");
    r.lift_reason = get_or_empty(fields, "lift_reason");
    r.lift_case_id = get_or_empty(fields, "lift_case_id");
    r.lift_note = get_or_empty(fields, "lift_note");
  } else {
    return std::unexpected(bad("ban record: status"));
  }
  return r;
}

std::string fingerprint_bytes(const fingerprint& fp) {
  std::string field(16, '\0');
  for (std::size_t i = 0; i < 8; ++i) {
    field[i] = static_cast<char>(fp.high >> (56 - 8 * i));
    field[8 + i] = static_cast<char>(fp.low >> (56 - 8 * i));
  }
  return field;
}

std::optional<fingerprint> fingerprint_of_bytes(std::string_view field) noexcept {
  if (field.size() != 16)
    return std::nullopt;
  fingerprint fp;
  for (std::size_t i = 0; i < 8; ++i) {
    fp.high = (fp.high << 8) | static_cast<std::uint8_t>(field[i]);
    fp.low = (fp.low << 8) | static_cast<std::uint8_t>(field[8 + i]);
  }
  return fp;
}

store_result<ban_record> decode_packed_record(const fingerprint& fp, std::string_view packed) {
  // The places of record.lua's R table, 1-based there: version, type,
  // value, masked, reason, note, case_id, source, public, banned_at,
  // banned_by, seq, expires_at, report_id, status (15 values, a banned
  // record), then lifted_at, lifted_by, lift_reason, lift_seq,
  // lift_case_id, lift_note (21, a lifted one).
  // Version 2 (record.lua) holds the type as its wire code, a reason of
  // the vocabulary as its code (others as text) and 16-digit key ids as a
  // zero byte and 8 raw bytes; version 3 also a value of digits packed.
  constexpr std::size_t kBannedSize = 15;
  constexpr std::size_t kLiftedSize = 21;
  packed_reader in(packed);
  const auto size = in.array_size();
  if (!size || (*size != kBannedSize && *size != kLiftedSize))
    return std::unexpected(bad("packed record: size"));
  const auto version = in.integer();
  if (version != 1 && version != 2 && version != 3)
    return std::unexpected(bad("packed record: version"));
  const bool coded = version != 1;
  std::optional<sdk::identifier_type> type;
  if (coded) {
    if (const auto code = in.integer(); code && *code >= 0 && *code <= 0xff)
      type = sdk::identifier_type_from_code(static_cast<std::uint8_t>(*code));
  } else if (const auto name = in.string()) {
    type = sdk::parse_identifier_type(*name);
  }
  if (!type)
    return std::unexpected(bad("packed record: type"));
  const auto stored_value = in.string();
  const auto value = !stored_value  ? std::nullopt
                     : version == 3 ? stored_value_text(*stored_value)
                                    : std::optional<std::string>(*stored_value);
  const auto masked = in.string();
  std::optional<std::string_view> reason;
  if (coded && !in.next_is_string()) {
    if (const auto code = in.integer(); code && *code >= 0 && *code <= 0xff) {
      if (const auto known = sdk::ban_reason_from_code(static_cast<std::uint8_t>(*code)))
        reason = sdk::to_string(*known);
    }
  } else {
    reason = in.string();
  }
  const auto note = in.string();
  const auto case_id = in.string();
  const auto source = in.string();
  const auto is_public = in.integer();
  const auto banned_at = in.integer();
  const auto banned_by = in.string();
  const auto seq = in.integer();
  const auto expires_at = in.integer();
  const auto report_id = in.string();
  const auto status = in.integer();
  if (!value || !masked || !reason || !note || !case_id || !source || !is_public || !banned_at ||
      !banned_by || !seq || *seq < 0 || !expires_at || !report_id || !status)
    return std::unexpected(bad("packed record: values"));
  ban_record r;
  r.fp = fp;
  r.type = *type;
  r.value = *value;
  r.masked = masked->empty() ? sdk::mask(r.type, r.value) : std::string(*masked);
  r.reason = *reason;
  r.note = *note;
  r.case_id = *case_id;
  r.source = *source;
  r.is_public = *is_public == 1;
  r.banned_at_ms = *banned_at;
  r.banned_by = coded ? stored_key_id_text(*banned_by) : std::string(*banned_by);
  r.seq = static_cast<std::uint64_t>(*seq);
  if (*expires_at != 0)
    r.expires_at = *expires_at;
  r.report_id = *report_id;
  if (*status == 0 && *size == kBannedSize) {
    r.status = ban_status::banned;
    return r;
  }
  if (*status != 1 || *size != kLiftedSize)
    return std::unexpected(bad("packed record: status"));
  r.status = ban_status::lifted;
  const auto lifted_at = in.integer();
  const auto lifted_by = in.string();
  const auto lift_reason = in.string();
  const auto lift_seq = in.integer();
  const auto lift_case_id = in.string();
  const auto lift_note = in.string();
  if (!lifted_at || !lifted_by || !lift_reason || !lift_seq || *lift_seq < 0 || !lift_case_id ||
      !lift_note)
    return std::unexpected(bad("packed record: lift values"));
  r.lifted_at_ms = *lifted_at;
  r.lifted_by = coded ? stored_key_id_text(*lifted_by) : std::string(*lifted_by);
  r.lift_reason = *lift_reason;
  r.lift_seq = static_cast<std::uint64_t>(*lift_seq);
  r.lift_case_id = *lift_case_id;
  r.lift_note = *lift_note;
  return r;
}

store_result<api_key> decode_api_key(const field_map& fields) {
  api_key k;
  k.id = get_or_empty(fields, "id");
  const auto r = parse_role(get_or_empty(fields, "role"));
  const auto created = parse_i64(get_or_empty(fields, "created"));
  if (k.id.empty() || !r || !created)
    return std::unexpected(bad("api key record"));
  k.key_role = *r;
  k.name = get_or_empty(fields, "name");
  k.created_at_ms = *created;
  k.revoked = get_or_empty(fields, "revoked") == "1";
  // A per-key limit is stored only when the key was issued with one.
  const auto& per_minute = get_or_empty(fields, "rate_per_minute");
  if (!per_minute.empty()) {
    const auto pm = parse_u64(per_minute);
    const auto burst = parse_u64(get_or_empty(fields, "rate_burst"));
    if (!pm || !burst || *pm == 0 || *burst == 0 || *pm > UINT32_MAX || *burst > UINT32_MAX)
      return std::unexpected(bad("api key rate limit"));
    k.rate_limit =
        key_rate_limit{static_cast<std::uint32_t>(*pm), static_cast<std::uint32_t>(*burst)};
  }
  return k;
}

namespace {

// A change-log entry of layout 6 (change.lua): one field `c`, binary.
store_result<change> decode_packed_change(std::uint64_t seq, std::string_view packed) {
  // change.lua: op (plus 128 when coded, plus 64 without the digest), fp,
  // digest (unless left out), at; then the type's and the reason's codes
  // (reason 0: its text follows), or the type's name length-prefixed and
  // the reason's text.
  constexpr std::uint8_t kCoded = 128;
  constexpr std::uint8_t kNoDigest = 64;
  if (packed.empty())
    return std::unexpected(bad("log entry size"));
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(packed[i]); };
  const bool coded = (byte(0) & kCoded) != 0;
  const bool has_digest = (byte(0) & kNoDigest) == 0;
  if (!coded && !has_digest)
    return std::unexpected(bad("log entry op"));
  // op, fp, digest if any, at (6 bytes), then the type's code or name length
  const std::size_t at_at = has_digest ? 33 : 17;
  const std::size_t type_at = at_at + 6;
  const std::size_t rest_at = type_at + 1;
  if (packed.size() < rest_at)
    return std::unexpected(bad("log entry size"));
  const auto op =
      sdk::change_op_from_code(static_cast<std::uint8_t>(byte(0) & ~(kCoded | kNoDigest)));
  if (!op)
    return std::unexpected(bad("log entry op"));
  change c;
  c.seq = seq;
  c.op = *op == sdk::change_op::ban ? change_op::ban : change_op::lift;
  const auto fp = fingerprint_of_bytes(packed.substr(1, 16));
  if (!fp)
    return std::unexpected(bad("log entry fields"));
  if (has_digest) {
    const auto digest = fingerprint_of_bytes(packed.substr(17, 16));
    if (!digest)
      return std::unexpected(bad("log entry fields"));
    c.digest = *digest;
  }
  c.has_digest = has_digest;
  std::int64_t at = 0;
  for (std::size_t i = at_at; i < type_at; ++i)
    at = (at << 8) | byte(i);
  std::optional<sdk::identifier_type> type;
  if (coded) {
    if (packed.size() < rest_at + 1)
      return std::unexpected(bad("log entry fields"));
    type = sdk::identifier_type_from_code(byte(type_at));
    if (const std::uint8_t reason_code = byte(rest_at); reason_code != 0) {
      c.reason = sdk::reason_name(*op, reason_code);
      if (c.reason.empty() || packed.size() != rest_at + 1)
        return std::unexpected(bad("log entry reason"));
    } else {
      c.reason = std::string(packed.substr(rest_at + 1));
    }
  } else {
    const std::size_t type_size = byte(type_at);
    if (packed.size() < rest_at + type_size)
      return std::unexpected(bad("log entry fields"));
    type = sdk::parse_identifier_type(packed.substr(rest_at, type_size));
    c.reason = std::string(packed.substr(rest_at + type_size));
  }
  if (!type)
    return std::unexpected(bad("log entry type"));
  c.fp = *fp;
  c.type = *type;
  c.at_ms = at;
  return c;
}

}  // namespace

store_result<change> decode_change(const redis_value& entry) {
  // Every applied change passes through here (the follower reads each one
  // back), so the fields are read in place rather than copied into a
  // field_map: no allocation but the reason string.
  const auto* parts = entry.array();
  if (!parts || parts->size() != 2 || !(*parts)[0].string())
    return std::unexpected(bad("entry"));
  const std::string& id = *(*parts)[0].string();
  const auto dash = id.find('-');
  const auto seq = parse_u64(std::string_view(id).substr(0, dash));
  if (!seq || dash == std::string::npos)
    return std::unexpected(bad("log entry id"));
  const auto* items = (*parts)[1].array();
  if (!items || items->size() % 2 != 0)
    return std::unexpected(bad("field list"));
  // Layout 6 writes one binary field; the named text fields of older
  // layouts stay readable until retention trims them.
  if (items->size() == 2 && (*items)[0].string() && *(*items)[0].string() == "c") {
    const auto* packed = (*items)[1].string();
    if (!packed)
      return std::unexpected(bad("field list entry"));
    return decode_packed_change(*seq, *packed);
  }
  enum { kOp, kFp, kDigest, kType, kAt, kReason, kFields };
  static constexpr std::string_view kNames[kFields] = {"op",   "fp", "digest",
                                                       "type", "at", "reason"};
  std::array<const std::string*, kFields> found{};
  for (std::size_t i = 0; i < items->size(); i += 2) {
    const auto* name = (*items)[i].string();
    const auto* text = (*items)[i + 1].string();
    if (!name || !text)
      return std::unexpected(bad("field list entry"));
    for (int f = 0; f < kFields; ++f) {
      if (*name == kNames[f]) {
        if (!found[f])
          found[f] = text;  // the first occurrence wins, as in to_field_map
        break;
      }
    }
  }
  auto field = [&](int f) { return found[f] ? std::string_view(*found[f]) : std::string_view{}; };
  change c;
  c.seq = *seq;
  if (field(kOp) == "ban") {
    c.op = change_op::ban;
  } else if (field(kOp) == "lift") {
    c.op = change_op::lift;
  } else {
    return std::unexpected(bad("log entry op"));
  }
  const auto fp = fingerprint::from_hex(field(kFp));
  const auto digest = fingerprint::from_hex(field(kDigest));
  const auto type = sdk::parse_identifier_type(field(kType));
  const auto at = parse_i64(field(kAt));
  if (!fp || !digest || !type || !at)
    return std::unexpected(bad("log entry fields"));
  c.fp = *fp;
  c.digest = *digest;
  c.type = *type;
  c.at_ms = *at;
  c.reason = std::string(field(kReason));
  return c;
}

store_result<void> resolve_digests(std::span<change> changes, std::optional<fingerprint> before) {
  // `known` is the digest after seq `known_seq` while one is known.
  std::optional<fingerprint> known = before;
  std::uint64_t known_seq = changes.empty() ? 0 : changes.front().seq - 1;
  for (auto& c : changes) {
    if (!c.has_digest) {
      if (!known || c.seq != known_seq + 1)
        return std::unexpected(bad("log entry without a digest to compute its own from"));
      c.digest = fingerprint{known->high ^ c.fp.high, known->low ^ c.fp.low};
      c.has_digest = true;
    }
    // A stored digest is taken as it is (every writer stores the XOR).
    known = c.digest;
    known_seq = c.seq;
  }
  return {};
}

store_result<audit_entry> decode_audit_entry(const redis_value& entry) {
  auto split = split_entry(entry);
  if (!split)
    return std::unexpected(split.error());
  auto& [id, fields] = *split;
  // Layout 7 writes one binary field; the named fields of older layouts
  // stay readable until the stream's cap drops them.
  if (fields.size() == 1) {
    if (const auto* packed = find(fields, "a"))
      return decode_packed_audit(std::move(id), *packed);
  }
  audit_entry a;
  a.id = id;
  a.at_ms = parse_i64(get_or_empty(fields, "at")).value_or(0);
  a.key_id = get_or_empty(fields, "key");
  a.address = get_or_empty(fields, "addr");
  a.request_id = get_or_empty(fields, "req");
  a.action = get_or_empty(fields, "action");
  a.target = get_or_empty(fields, "target");
  a.detail = get_or_empty(fields, "detail");
  return a;
}

}  // namespace banlist::service
