#include "handlers/ban_fields.hpp"

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "json.hpp"
#include "time_text.hpp"

namespace banlist::service::handlers {
namespace {

constexpr std::size_t kMaxNote = 2000;
constexpr std::size_t kMaxShortText = 128;

bool has_control_chars(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f)
      return true;
  }
  return false;
}

ban_problem problem(std::string code, std::string message) {
  return ban_problem{std::move(code), std::move(message), {}, {}};
}

}  // namespace

std::string allowed_reason_names(bool lift) {
  const auto op = lift ? sdk::change_op::lift : sdk::change_op::ban;
  std::string names;
  for (unsigned code = 1; code <= 255; ++code) {
    const auto name = sdk::reason_name(op, static_cast<std::uint8_t>(code));
    if (name.empty())
      continue;
    if (!names.empty())
      names += ", ";
    names += name;
  }
  return names;
}

std::expected<ban_fields, ban_problem> ban_fields_from_json(simdjson::dom::object object) {
  if (auto unknown = first_unknown_field(object, {"type", "value", "reason", "note", "case_id",
                                                  "source", "public", "expires_at"})) {
    return std::unexpected(problem("unknown_field", "unknown field '" + *unknown + "'"));
  }
  ban_fields f;
  auto take_string = [&](std::string_view name, std::optional<std::string>& into) -> bool {
    auto v = string_field(object, name);
    if (!v)
      return false;
    into = std::move(*v);
    return true;
  };
  for (auto [name, into] : {std::pair{"type", &f.type}, std::pair{"value", &f.value},
                            std::pair{"reason", &f.reason}, std::pair{"note", &f.note},
                            std::pair{"case_id", &f.case_id}, std::pair{"source", &f.source}}) {
    if (!take_string(name, *into)) {
      return std::unexpected(problem("invalid_field", string_field(object, name).error()));
    }
  }
  auto is_public = bool_field(object, "public");
  if (!is_public)
    return std::unexpected(problem("invalid_field", is_public.error()));
  f.is_public = *is_public;
  // expires_at: unix seconds (a number) or an RFC 3339 string (issue 7).
  simdjson::dom::element expires;
  if (object["expires_at"].get(expires) == simdjson::SUCCESS && expires.is_string()) {
    const auto seconds = parse_rfc3339_seconds(expires.get_string().value());
    if (!seconds) {
      return std::unexpected(
          problem("invalid_field", "expires_at must be unix seconds or an RFC 3339 date-time"));
    }
    f.expires_at = *seconds;
    return f;
  }
  auto expires_at = int_field(object, "expires_at");
  if (!expires_at)
    return std::unexpected(problem("invalid_field", expires_at.error()));
  f.expires_at = *expires_at;
  return f;
}

std::expected<ban_record, ban_problem> validate_ban(ban_fields f, std::uint64_t seed,
                                                    std::string_view actor_id,
                                                    std::int64_t now_ms) {
  if (!f.type || !f.value || !f.reason)
    return std::unexpected(problem("missing_field", "type, value and reason are required"));
  const auto id_type = sdk::parse_identifier_type(*f.type);
  if (!id_type)
    return std::unexpected(problem("invalid_type", "unknown identifier type '" + *f.type + "'"));
  // Partners receive reasons as codes of a fixed vocabulary (sdk/reason.hpp).
  if (!sdk::parse_reason(*f.reason)) {
    return std::unexpected(
        problem("invalid_reason", "reason must be one of: " + allowed_reason_names(false)));
  }
  if ((f.note && (f.note->size() > kMaxNote || has_control_chars(*f.note))) ||
      (f.case_id && (f.case_id->size() > kMaxShortText || has_control_chars(*f.case_id))) ||
      (f.source && (f.source->size() > kMaxShortText || has_control_chars(*f.source)))) {
    return std::unexpected(problem(
        "invalid_field",
        "note (2000), case_id and source (128) are limited in length and must be one line"));
  }
  if (f.expires_at && *f.expires_at <= now_ms / 1000) {
    return std::unexpected(
        problem("invalid_field", "expires_at must be a future unix time in seconds"));
  }
  auto normalized = sdk::normalize(*id_type, *f.value);
  if (!normalized) {
    return std::unexpected(ban_problem{"invalid_identifier", normalized.error().message,
                                       std::string(normalized.error().rule),
                                       std::string(sdk::to_string(*id_type))});
  }
  ban_record r;
  r.type = *id_type;
  r.fp = sdk::fingerprint_of(*id_type, *normalized, seed);
  r.masked = sdk::mask(*id_type, *normalized);
  r.value = std::move(*normalized);
  r.reason = std::move(*f.reason);
  if (f.note)
    r.note = std::move(*f.note);
  if (f.case_id)
    r.case_id = std::move(*f.case_id);
  if (f.source)
    r.source = std::move(*f.source);
  r.is_public = f.is_public.value_or(false);  // publishing is a deliberate act
  r.expires_at = f.expires_at;
  r.banned_at_ms = now_ms;
  r.banned_by = std::string(actor_id);
  return r;
}

}  // namespace banlist::service::handlers
