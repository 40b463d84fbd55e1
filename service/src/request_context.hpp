// What a handler gets for one request (request_context) and the helpers it
// uses to build responses. A context lives on one session's strand for the
// duration of one request; not shared between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http.hpp>

#include "store/records.hpp"
#include "store/store.hpp"
#include "url.hpp"

namespace banlist::service {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

class service_state;
class streamed_exchange;

// A response body to be read from a file rather than memory (the served
// snapshots, ~200 MB at 10M bans): the handler opens it, the session sends
// it with http::file_body. Empty: the string body as usual.
using file_reply = std::optional<http::file_body::value_type>;

struct request_context {
  const http_request& request;
  service_state& state;
  std::string_view path;
  query_params query;
  std::vector<std::pair<std::string, std::string>> path_params;
  // The session's, which outlive the request.
  std::string_view request_id;
  std::string_view client_address;
  std::optional<api_key> caller;  // set on authenticated routes
  // Set for routes added with router::add_streamed: the body is read
  // through it (request.body() is empty).
  streamed_exchange* exchange = nullptr;
  // Where a handler may put a file body (null where the session cannot send
  // one; the handler then reads the file into the string body).
  file_reply* file = nullptr;

  // Returns the value of `{name}` in the route pattern ("" if absent).
  std::string_view param(std::string_view name) const noexcept;
  // The caller as the audit log records it.
  actor who() const;
};

// A JSON response with `status` and `body`.
http_response json_response(const request_context& ctx, http::status status, std::string body);

// An error response: {"error":{"code":...,"message":...}}.
http_response error_response(const request_context& ctx, http::status status, std::string_view code,
                             std::string_view message);

// The response for a failed store operation: 503 + Retry-After for
// unavailable/outcome_unknown (the message says whether the write may have
// happened), 404 for not_found, 500 otherwise.
http_response store_error_response(const request_context& ctx, const store_error& error,
                                   bool was_write);

}  // namespace banlist::service
