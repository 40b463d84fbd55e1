// record_codec: turns Redis replies (packed records, HGETALL field lists,
// stream entries) into domain records. Anything malformed becomes
// store_errc::protocol_error, never a half-filled record. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/records.hpp"
#include "store/redis_value.hpp"
#include "store/store.hpp"

namespace banlist::service {

using field_map = std::unordered_map<std::string, std::string>;

// Reads a flat [field, value, field, value, ...] array (HGETALL, stream
// entry fields).
store_result<field_map> to_field_map(const redis_value& value);

// A record as field/value strings: the archived episodes of bl:hist:{fp}
// (and layout 3's record hashes). `masked` is computed when absent.
store_result<ban_record> decode_ban_record(const fingerprint& fp, const field_map& fields);
// A fingerprint's 16 raw bytes, high half first, each half big-endian (the
// order of its hex form; record.lua builds the same with struct.pack
// '>I4I4I4I4'): a packed record's field in its bucket, and the fingerprint
// and digest in a packed change-log entry.
std::string fingerprint_bytes(const fingerprint& fp);
// The fingerprint of such bytes; nullopt unless there are 16.
std::optional<fingerprint> fingerprint_of_bytes(std::string_view field) noexcept;
// A packed record of layout 4 (record.lua: a MessagePack array of values in
// fixed places), as HGET of its bucket returns it.
store_result<ban_record> decode_packed_record(const fingerprint& fp, std::string_view packed);
store_result<api_key> decode_api_key(const field_map& fields);

// A bl:log entry: [id, [field, value, ...]]. Since layout 8 only every
// 16th entry stores its digest; the others decode with has_digest false,
// and resolve_digests computes theirs.
store_result<change> decode_change(const redis_value& entry);
// Fills in the digest of every change that lacks one, from the one before
// it (the digest after seq n is the one after n - 1 XOR the fingerprint of
// n). `changes` are consecutive entries of the log in seq order; `before`
// is the digest after the seq before the first, when the caller knows it
// (zero after seq 0). Refuses a change it cannot compute (no digest before
// it, or a gap in the seqs).
store_result<void> resolve_digests(std::span<change> changes,
                                   std::optional<fingerprint> before = std::nullopt);
// A bl:audit entry: [id, [field, value, ...]], packed (layout 7, one field
// `a`, its time the id's) or with the named fields of older layouts.
store_result<audit_entry> decode_audit_entry(const redis_value& entry);
// The value of a packed audit entry's field `a`, byte for byte what
// audit.lua writes: for the entries banlistd appends itself. Every part but
// the detail must be shorter than 64 KiB (they are names and ids). A
// detail "type={name} seq={n}" is stored coded, as ban.lua's are.
std::string encode_audit_entry(std::string_view action, std::string_view key_id,
                               std::string_view address, std::string_view request_id,
                               std::string_view target, std::string_view detail);

std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view name) noexcept;

// Strict decimal parsers for values read back from Redis.
std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;
std::optional<std::int64_t> parse_i64(std::string_view text) noexcept;

}  // namespace banlist::service
