// RESP encoding and decoding through hiredis (redisFormatCommandArgv and
// redisReader), and the one place where Redis-side failures become our
// store_error.
//
// resp_decoder is not thread-safe: one per connection, used from its strand.
// encode_command and to_store_error are pure.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_value.hpp"
#include "store/store.hpp"

struct redisReader;

namespace banlist::service {

// Appends the RESP form of one command (binary-safe: every argument is sent
// with its length) to `out`.
void encode_command(std::span<const std::string> args, std::string& out);

// Incremental RESP decoder. Feed bytes as they arrive; take replies while
// next() returns one.
class resp_decoder {
 public:
  resp_decoder();
  ~resp_decoder();
  resp_decoder(const resp_decoder&) = delete;
  resp_decoder& operator=(const resp_decoder&) = delete;

  // Returns false if the reader is in an error state (see error()).
  bool feed(std::string_view bytes);

  // Returns the next complete reply, nullopt if more bytes are needed, or
  // nullopt with failed() true when the stream is malformed.
  std::optional<redis_value> next();

  bool failed() const noexcept { return !error_.empty(); }
  const std::string& error() const noexcept { return error_; }

 private:
  redisReader* reader_;
  std::string error_;
};

// Why a command did not produce the value its caller wanted.
enum class failure_kind {
  not_connected,     // refused before sending
  deadline,          // sent; no reply before the deadline
  connection_lost,   // sent; the link dropped before the reply
  reader_error,      // the reply stream could not be decoded
  error_reply,       // Redis replied with an error
  unexpected_reply,  // a well-formed reply of the wrong shape
  not_found,         // a script reported that its target does not exist
};

// The single mapping from Redis/hiredis failures to store_error
// (see docs/redis-layout.md, "Error mapping").
store_error to_store_error(failure_kind kind, std::string_view detail);

// Returns `value` unless it is an error reply, which becomes a store_error.
store_result<redis_value> reject_error_reply(redis_value value);

}  // namespace banlist::service
