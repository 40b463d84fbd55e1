#include "request_context.hpp"

#include "json.hpp"

namespace banlist::service {

std::string_view request_context::param(std::string_view name) const noexcept {
  for (const auto& [n, v] : path_params) {
    if (n == name)
      return v;
  }
  return {};
}

actor request_context::who() const {
  return actor{caller ? caller->id : std::string(), std::string(client_address),
               std::string(request_id)};
}

http_response json_response(const request_context& ctx, http::status status, std::string body) {
  http_response res{status, ctx.request.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

http_response error_response(const request_context& ctx, http::status status, std::string_view code,
                             std::string_view message) {
  return json_response(ctx, status, error_body(code, message));
}

http_response store_error_response(const request_context& ctx, const store_error& error,
                                   bool was_write) {
  switch (error.code) {
    case store_errc::unavailable: {
      auto res =
          error_response(ctx, http::status::service_unavailable, "store_unavailable",
                         was_write ? "Redis is unreachable; nothing was changed. Retry later."
                                   : "Redis is unreachable. Retry later.");
      res.set(http::field::retry_after, "1");
      return res;
    }
    case store_errc::outcome_unknown: {
      auto res = error_response(
          ctx, http::status::service_unavailable, "outcome_unknown",
          was_write ? "Redis did not answer in time: the change may or may not have been "
                      "applied. Retrying is safe (the operation is idempotent)."
                    : "Redis did not answer in time. Retry later.");
      res.set(http::field::retry_after, "1");
      return res;
    }
    case store_errc::not_found:
      return error_response(ctx, http::status::not_found, "not_found", error.message);
    case store_errc::redis_error:
    case store_errc::protocol_error:
      break;
  }
  return error_response(ctx, http::status::internal_server_error, "store_error",
                        "the store failed; see the server log");
}

}  // namespace banlist::service
