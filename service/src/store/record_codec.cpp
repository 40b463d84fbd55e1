#include "store/record_codec.hpp"

#include <array>
#include <charconv>

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

}  // namespace

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

store_result<change> decode_change(const redis_value& entry) {
  // Every applied change passes through here (the follower reads each one
  // back), so the fields are read in place rather than copied into a
  // field_map: no allocation but the reason string.
  const auto* parts = entry.array();
  if (!parts || parts->size() != 2 || !(*parts)[0].string())
    return std::unexpected(bad("entry"));
  const std::string& id = *(*parts)[0].string();
  const auto* items = (*parts)[1].array();
  if (!items || items->size() % 2 != 0)
    return std::unexpected(bad("field list"));
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
  const auto dash = id.find('-');
  const auto seq = parse_u64(std::string_view(id).substr(0, dash));
  if (!seq || dash == std::string::npos)
    return std::unexpected(bad("log entry id"));
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

store_result<audit_entry> decode_audit_entry(const redis_value& entry) {
  auto split = split_entry(entry);
  if (!split)
    return std::unexpected(split.error());
  auto& [id, fields] = *split;
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
