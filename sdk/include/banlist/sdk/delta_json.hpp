// The JSON encoding of a delta batch (GET /v1/deltas, media type
// application/json), specified in docs/protocol.md (section 3):
//
//   {"epoch":"<16 hex>","from":N,"to":N,"head":N,"more":bool,
//    "digest":"<32 hex>","min_wait_s":N,
//    "changes":[{"seq":N,"op":"ban"|"lift","fp":"<32 hex>","type":"phone",
//                "reason":"telecom_fraud","at":<ms since the Unix epoch>}, ...]}
//
// Encoded on one line (no newline), so it also fits an SSE data field.
// Pure functions: safe from any thread. The decoder keeps one simdjson parser
// per thread, which keeps the capacity of the largest text it parsed (at most
// 32 MiB of input).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <system_error>

#include "banlist/sdk/delta.hpp"

namespace banlist::sdk {

// Returns the JSON text of `batch`. Requires: validate(batch) succeeds.
std::string encode_delta_json(const delta_batch& batch);

// Reads a batch from untrusted JSON text. Unknown members are ignored (a
// newer server may add some); every known member is required and checked:
// bad_json (syntax, not an object), too_large (text over 32 MiB or more than
// kMaxBatchChanges changes), missing_field, duplicate_field, wrong_type,
// bad_value (range, hex form, unknown names), bad_sequence (validate()).
std::expected<delta_batch, std::error_code> decode_delta_json(std::string_view text);

}  // namespace banlist::sdk
