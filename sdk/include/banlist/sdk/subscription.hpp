// Subscription messages: what GET /v1/stream (WebSocket text frames) and
// GET /v1/events (Server-Sent Events `data:` lines) carry, and what a
// WebSocket client sends back. One JSON object per message, on one line.
// docs/protocol.md (section 3) specifies them:
//
//   server -> client
//     {"type":"changes", <every member of a delta batch, as in delta_json.hpp>}
//     {"type":"heartbeat","epoch":"<16 hex>","head":N,"digest":"<32 hex>","at":ms}
//     {"type":"reset","last_seq":N,"reason":"slow_consumer"|"resync_required"|"shutdown"}
//   client -> server (WebSocket only)
//     {"op":"ack","seq":N}
//
// Pure functions: safe from any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "banlist/bloom/fingerprint.hpp"
#include "banlist/sdk/delta.hpp"

namespace banlist::sdk {

// Sent when no change has been sent for a while: the client compares `digest`
// with its own when its seq equals `head`, and learns how far behind it is.
struct heartbeat {
  std::uint64_t epoch = 0;
  std::uint64_t head = 0;  // <= kMaxSeq
  fingerprint digest;      // set digest at head
  std::int64_t at_ms = 0;  // server time, ms since the Unix epoch

  friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

enum class reset_reason : std::uint8_t {
  slow_consumer = 1,    // the send queue filled: reconnect with since = your seq
  resync_required = 2,  // your seq is gone (retention) or the epoch changed: load a snapshot
  shutdown = 3,         // the server is stopping: reconnect, to another instance if any
};

std::string_view to_string(reset_reason reason) noexcept;
std::optional<reset_reason> parse_reset_reason(std::string_view name) noexcept;

// The server's last word before it closes the subscription.
struct reset_notice {
  std::uint64_t last_seq = 0;  // last seq the server sent on this subscription
  reset_reason reason = reset_reason::shutdown;

  friend bool operator==(const reset_notice&, const reset_notice&) = default;
};

// The client confirms that it applied everything up to `seq` (the server
// may use it for flow control and metrics; the cursor stays the client's).
struct client_ack {
  std::uint64_t seq = 0;

  friend bool operator==(const client_ack&, const client_ack&) = default;
};

using server_message = std::variant<delta_batch, heartbeat, reset_notice>;

// Encoders. Require valid values (validate(batch); seqs <= kMaxSeq; at_ms in
// [0, kMaxTimeMs]; a known reset reason).
std::string encode_changes_message(const delta_batch& batch);
std::string encode_heartbeat_message(const heartbeat& beat);
std::string encode_reset_message(const reset_notice& reset);
std::string encode_ack_message(const client_ack& ack);

// Decode untrusted text. Unknown members are ignored; errors as in
// delta_json.hpp; a missing "type" (resp. "op") is missing_field, an unknown
// one unknown_message.
std::expected<server_message, std::error_code> decode_server_message(std::string_view text);
std::expected<client_ack, std::error_code> decode_client_message(std::string_view text);

}  // namespace banlist::sdk
