// bulk_upload: one streamed POST of a file (chunked transfer encoding) whose
// NDJSON answer is read while the body is still being sent — the full-duplex
// exchange POST /v1/bans/import and /v1/bans/lift need, since the server
// answers each line as Redis applies it and would stall if nobody read.
// Runs Beast's asynchronous operations on a private io_context in the
// calling thread, so it blocks like the rest of banctl. Sends
// `Expect: 100-continue`, so a refusal (auth, circuit breaker) arrives
// before any of the body is sent. Not thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "http_client.hpp"

namespace banlist::banctl {

struct upload_spec {
  std::string target;        // e.g. "/v1/bans/import?lines=42"
  std::string content_type;  // "text/csv" or "application/x-ndjson"
  std::string first_chunk;   // sent before the file bytes (a CSV header line), may be empty
  std::string file;
  std::uint64_t offset = 0;    // first file byte to send
  std::uint64_t max_rate = 0;  // lines per second, 0 = as fast as possible
};

struct upload_result {
  http_reply reply;       // status and headers; body only for a non-2xx answer
  bool complete = false;  // the whole answer was read
  std::string broken;     // why the exchange broke off ("" when it did not)
};

// Sends the upload; each line of a 2xx answer goes to `on_line` as it
// arrives (return false to stop). An error only when no answer came at all.
std::expected<upload_result, transport_error> bulk_upload(
    const http_client& client, const upload_spec& spec,
    const std::function<bool(std::string_view)>& on_line);

}  // namespace banlist::banctl
