// Domain records that the Redis store reads and writes. Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/identifier.hpp"

namespace banlist::service {

// Who performed a mutation; goes to the audit log with it.
struct actor {
  std::string key_id;      // id of the API key (never the secret)
  std::string address;     // client address as the listener saw it
  std::string request_id;  // X-Request-Id, or one we generated
};

enum class ban_status : std::uint8_t { banned, lifted };

// One account's record (packed in bl:rec:{bucket}, docs/redis-layout.md).
// `value` is the normalized identifier: it is shown to moderators only,
// never to partners, public pages or logs.
struct ban_record {
  fingerprint fp;
  sdk::identifier_type type = sdk::identifier_type::phone;
  std::string value;
  std::string masked;
  std::string reason;
  std::string note;
  std::string case_id;
  std::string source;
  bool is_public = false;
  std::int64_t banned_at_ms = 0;
  std::string banned_by;                   // key id
  std::optional<std::int64_t> expires_at;  // unix seconds
  std::uint64_t seq = 0;                   // seq of the change that banned it
  ban_status status = ban_status::banned;
  // Set once lifted:
  std::int64_t lifted_at_ms = 0;
  std::string lifted_by;
  std::string lift_reason;
  std::uint64_t lift_seq = 0;
  // Issue 7: the partner report this ban was made from (accepted), or "".
  std::string report_id;
  std::string lift_case_id;  // optional case reference of the lift (issue 7)
  std::string lift_note;
};

enum class change_op : std::uint8_t { ban, lift };

// One entry of the change log (bl:log, stream id "{seq}-1").
struct change {
  std::uint64_t seq = 0;
  change_op op = change_op::ban;
  fingerprint fp;
  sdk::identifier_type type = sdk::identifier_type::phone;
  std::string reason;
  std::int64_t at_ms = 0;
  fingerprint digest;  // set digest after this change
  // False only between decode_change and resolve_digests (record_codec.hpp):
  // the log stores the digest of every 16th entry since layout 8.
  bool has_digest = true;
};

enum class role : std::uint8_t { partner = 1, moderator = 2, admin = 3 };

// A per-key request limit, set when the key is issued: `burst` requests at
// once, then `per_minute` a minute (docs/decisions.md).
struct key_rate_limit {
  std::uint32_t per_minute = 0;
  std::uint32_t burst = 0;
  friend bool operator==(const key_rate_limit&, const key_rate_limit&) = default;
};

// An API key record (bl:key:{sha256 hex of the secret}); the secret itself is
// never stored.
struct api_key {
  std::string id;
  role key_role = role::partner;
  std::string name;
  std::int64_t created_at_ms = 0;
  bool revoked = false;
  std::optional<key_rate_limit> rate_limit;  // nullopt: not limited (the default)
};

// One audit entry (bl:audit).
struct audit_entry {
  std::string id;  // stream entry id
  std::int64_t at_ms = 0;
  std::string key_id;
  std::string address;
  std::string request_id;
  std::string action;  // "ban", "lift", "key_create", "key_revoke", ...
  std::string target;  // fingerprint or key id
  std::string detail;  // short, never a raw identifier
};

// --- Partner reports (issue 7, docs/admin-api.md) ---

enum class report_status : std::uint8_t { open, accepted, rejected };

// One partner report (bl:report:{id} and bl:report_ev:{id}). `value` is the
// normalized identifier, kept for the moderator's ban: never shown to
// partners, never logged, not even shown in the moderators' report view
// (which has `masked`).
struct report {
  std::string id;  // decimal
  fingerprint fp;
  sdk::identifier_type type = sdk::identifier_type::phone;
  std::string value;
  std::string masked;
  std::string reason;    // a ban reason name
  std::string evidence;  // the first filer's text
  report_status status = report_status::open;
  std::int64_t created_at_ms = 0;
  std::vector<std::string> reporters;  // partner key ids, in filing order
  // Set once decided:
  std::int64_t decided_at_ms = 0;
  std::string decided_by;
  std::string decision_reason;  // rejections
  std::uint64_t ban_seq = 0;    // acceptances: seq of the ban it became or joined
};

}  // namespace banlist::service
