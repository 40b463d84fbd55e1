// Error codes of the wire codecs (delta batches, snapshots, subscription
// messages) and of replica_set::apply: why bytes or a batch were refused.
// They travel as std::error_code (category "banlist.wire"), so callers compare
// them the usual way: `ec == banlist::sdk::wire_errc::seq_gap`.
// The category is a stateless singleton: safe from any thread.
#pragma once

#include <system_error>

namespace banlist::sdk {

enum class wire_errc {
  // Framing (binary formats).
  truncated = 1,        // fewer bytes than the header or the declared count needs
  bad_magic,            // not this format
  unsupported_version,  // a format version this build does not read
  bad_checksum,         // XXH3-64 does not match the bytes
  bad_length,           // byte count disagrees with the declared count or length
  too_large,            // a count above the format's limit
  bad_kind,             // unknown snapshot kind
  bad_reserved,         // a reserved byte or flag bit is not zero
  // Content (both encodings).
  bad_value,        // a field outside its range: unknown op, type or reason code, ...
  bad_sequence,     // change seqs not strictly increasing inside (from, to], or to/head wrong
  not_sorted,       // snapshot fingerprints not in ascending order
  duplicate_entry,  // the same fingerprint twice in a snapshot
  count_mismatch,   // header count differs from the entries or the embedded filter
  bad_filter,       // the embedded Bloom filter does not deserialize
  seed_mismatch,    // the embedded filter's seed differs from the header's
  digest_mismatch,  // XOR of the fingerprints differs from the declared digest
  // JSON.
  bad_json,         // not well-formed JSON, or not the expected top-level shape
  missing_field,    // a required member is absent
  wrong_type,       // a member has the wrong JSON type
  duplicate_field,  // a member appears twice
  unknown_message,  // a subscription message with an unknown "type" or "op"
  // replica_set::apply.
  epoch_mismatch,  // the batch belongs to another history of the list: resync
  seq_gap,         // batch.from is not the replica's seq: fetch the missing changes
  already_banned,  // a ban of a fingerprint the replica already holds
  not_banned,      // a lift of a fingerprint the replica does not hold
};

const std::error_category& wire_category() noexcept;

inline std::error_code make_error_code(wire_errc e) noexcept {
  return {static_cast<int>(e), wire_category()};
}

}  // namespace banlist::sdk

template <>
struct std::is_error_code_enum<banlist::sdk::wire_errc> : std::true_type {};
