// Pieces shared by the JSON encoders and decoders of delta batches and
// subscription messages (docs/protocol.md (section 3), "JSON"): hex fields, the
// delta-batch members written with RapidJSON and read back with simdjson's
// DOM, and the per-thread simdjson parser.
//
// Thread-safety: every function is safe from any thread; thread_parser()
// returns the calling thread's own parser.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "banlist/sdk/delta.hpp"

namespace banlist::sdk::detail {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Largest JSON text a decoder accepts: a full batch of kMaxBatchChanges
// changes is about 10 MiB, so this leaves room without letting a peer make
// the parser allocate without bound.
inline constexpr std::size_t kMaxJsonBytes = std::size_t{32} << 20;

// Writes `"` + 32 lowercase hex digits (high half first) + `"` at out[0, 34).
void quoted_hex128(char* out, const fingerprint& fp) noexcept;
// Writes `"` + 16 lowercase hex digits + `"` at out[0, 18).
void quoted_hex64(char* out, std::uint64_t value) noexcept;

// Parse exactly 32 (resp. 16) lowercase hex digits; nullopt otherwise.
std::optional<fingerprint> parse_hex128(std::string_view text) noexcept;
std::optional<std::uint64_t> parse_hex64(std::string_view text) noexcept;

inline void write_key(json_writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}
inline void write_string(json_writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void write_fingerprint(json_writer& w, const fingerprint& fp);
void write_epoch(json_writer& w, std::uint64_t epoch);

// Writes the members of a delta batch (no braces), so that a subscription's
// "changes" message can add its "type" member to the same object.
// Requires: validate(batch) succeeds.
void write_delta_members(json_writer& w, const delta_batch& batch);

// Returns the JSON text of a finished writer's buffer.
inline std::string take(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Parses `text` with the calling thread's parser and returns its top-level
// object. Errors: too_large, bad_json (syntax, or not an object). The result
// is valid until the thread's next parse.
std::expected<simdjson::dom::object, std::error_code> parse_object(std::string_view text);

// Reads a delta batch from an object's members. Members it does not know
// (a message's "type", future additions) are ignored; a known one that is
// missing, repeated, of the wrong JSON type or out of range is an error.
// Runs validate(batch).
std::expected<delta_batch, std::error_code> read_delta_object(simdjson::dom::object object);

// Typed member readers: wrong_type when the JSON type differs, bad_value
// when a number is out of range or a string has the wrong form.
std::expected<std::uint64_t, std::error_code> read_u64(simdjson::dom::element value,
                                                       std::uint64_t max) noexcept;
std::expected<std::string_view, std::error_code> read_string(simdjson::dom::element value) noexcept;
std::expected<fingerprint, std::error_code> read_fingerprint(simdjson::dom::element value) noexcept;
std::expected<std::uint64_t, std::error_code> read_epoch(simdjson::dom::element value) noexcept;
std::expected<bool, std::error_code> read_bool(simdjson::dom::element value) noexcept;
std::expected<simdjson::dom::array, std::error_code> read_array(
    simdjson::dom::element value) noexcept;

}  // namespace banlist::sdk::detail
