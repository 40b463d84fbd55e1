// Delta batches: the numbered changes (ban, lift) a partner replica applies to
// follow the list, as served by GET /v1/deltas and the subscriptions. This
// header holds the value types and the rules every encoding shares;
// delta_json.hpp and delta_binary.hpp are the two encodings
// (docs/protocol.md (section 3) specifies all of it).
//
// Plain value types and pure functions: safe from any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <system_error>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/wire_errors.hpp"

namespace banlist::sdk {

// Largest seq, epoch-independent time and count a batch may carry. 2^53 - 1 keeps
// every integer exact in JavaScript clients, and the two encodings accept the
// same range, so a batch that one accepts the other can carry.
inline constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << 53) - 1;
inline constexpr std::int64_t kMaxTimeMs = (std::int64_t{1} << 53) - 1;
// At most this many changes in one batch; a server pages with `more`.
inline constexpr std::size_t kMaxBatchChanges = 65536;
// min_wait_s is a polling hint: at most one day.
inline constexpr std::uint32_t kMaxMinWaitS = 86400;

struct delta_change {
  std::uint64_t seq = 0;  // 1 .. kMaxSeq
  change_op op = change_op::ban;
  fingerprint fp;
  identifier_type type = identifier_type::phone;
  // A ban_reason code when op is ban, a lift_reason code when op is lift
  // (reason_name / parse_reason_code in reason.hpp read it).
  std::uint8_t reason = 0;
  std::int64_t at_ms = 0;  // when the change was accepted, ms since the Unix epoch, UTC

  friend bool operator==(const delta_change&, const delta_change&) = default;
};

// The changes with seq in (from, to] of list history `epoch`, ascending.
// `digest` is the set digest after applying them (at `to`); `head` is the
// newest seq the server knew; `more` says that changes after `to` are
// available now; `min_wait_s` is how long the client should wait before
// polling again when `more` is false.
struct delta_batch {
  std::uint64_t epoch = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::uint64_t head = 0;
  bool more = false;
  fingerprint digest;
  std::uint32_t min_wait_s = 0;
  std::vector<delta_change> changes;

  friend bool operator==(const delta_batch&, const delta_batch&) = default;
};

// Returns whether one change is well-formed: seq in [1, kMaxSeq], a known op,
// a known identifier type, a reason code valid for the op, at_ms in
// [0, kMaxTimeMs]. Errors: bad_value.
std::expected<void, std::error_code> validate(const delta_change& change) noexcept;

// Returns whether a batch is well-formed; both decoders run it, encoders
// require it. Rules: from <= to <= head <= kMaxSeq; min_wait_s <= kMaxMinWaitS;
// at most kMaxBatchChanges changes, each valid; change seqs strictly
// increasing and inside (from, to]; the last one equal to `to`; an empty
// batch may still advance from -> to (changes that cancelled out);
// `more` implies to < head.
// Errors: bad_value, too_large, bad_sequence.
std::expected<void, std::error_code> validate(const delta_batch& batch) noexcept;

}  // namespace banlist::sdk
