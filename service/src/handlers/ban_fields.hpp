// ban_fields: the fields of one ban request and the rules they must meet,
// shared by POST /v1/bans (one JSON body) and POST /v1/bans/import (one CSV
// or NDJSON line each), so both accept exactly the same bans. Pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "store/records.hpp"

namespace banlist::service::handlers {

// The fields as given, before validation. Absent fields are nullopt.
struct ban_fields {
  std::optional<std::string> type;
  std::optional<std::string> value;
  std::optional<std::string> reason;
  std::optional<std::string> note;
  std::optional<std::string> case_id;
  std::optional<std::string> source;
  std::optional<bool> is_public;
  std::optional<std::int64_t> expires_at;  // unix seconds
};

// Why a ban request was refused. `rule` and `type` are set for an
// identifier that does not normalize (the rule it broke).
struct ban_problem {
  std::string code;  // malformed_json, unknown_field, invalid_field, missing_field, ...
  std::string message;
  std::string rule;
  std::string type;
};

// The field names a ban request may carry, in CSV column order.
inline constexpr std::string_view kBanFieldNames[] = {"type",    "value",  "reason", "note",
                                                      "case_id", "source", "public", "expires_at"};

// Reads the fields of a JSON object; refuses unknown fields and fields of
// the wrong JSON type.
std::expected<ban_fields, ban_problem> ban_fields_from_json(simdjson::dom::object object);

// Checks every rule and returns the record to store (normalized value,
// fingerprint with `seed`, masked form, banned_at = now_ms, banned_by =
// actor_id).
std::expected<ban_record, ban_problem> validate_ban(ban_fields fields, std::uint64_t seed,
                                                    std::string_view actor_id, std::int64_t now_ms);

// The reason names allowed for `op` ("telecom_fraud, phishing, ...").
std::string allowed_reason_names(bool lift);

}  // namespace banlist::service::handlers
