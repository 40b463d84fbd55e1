// subscription_handoff: how GET /v1/stream and GET /v1/events leave the
// request/response cycle. Their handlers (handlers/stream.cpp) validate the
// request like any other route (auth, parameters) and answer with a
// hand-off response; http_session then does not write it but moves its
// stream into a websocket_session or sse_session, which serves the
// subscription from then on.
//
// Pure functions and value types: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "request_context.hpp"

namespace banlist::service {

class service_state;

struct subscription_handoff {
  enum class transport : std::uint8_t { websocket, sse };
  transport kind = transport::websocket;
  std::uint64_t since = 0;
  std::optional<std::uint64_t> epoch;  // the client's epoch, when it named one
  std::string key_id;                  // the authenticated caller
};

// Handler side: the response that asks the session to hand its stream over.
http_response handoff_response(const request_context& ctx, const subscription_handoff& handoff);

// Session side: the hand-off a response asks for, or nullopt for an
// ordinary response.
std::optional<subscription_handoff> read_handoff(const http_response& res);

// Starts the session for `handoff` on `stream` (which is on its strand).
// Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
void start_subscription(Stream stream, service_state& state, http_request req,
                        subscription_handoff handoff, std::string request_id);

}  // namespace banlist::service
