// Route registration, one function per resource (one file each). Handlers are
// coroutines that run on the session's strand; they never block: Redis is
// awaited, everything else is memory.
#pragma once

#include <initializer_list>
#include <optional>
#include <string_view>

#include "request_context.hpp"
#include "router.hpp"

namespace banlist::service::handlers {

void add_ban_routes(router& r);       // /v1/bans...
void add_check_routes(router& r);     // /v1/check
void add_key_routes(router& r);       // /v1/keys...
void add_audit_routes(router& r);     // /v1/audit
void add_ops_routes(router& r);       // /healthz, /readyz, /metrics
void add_stream_routes(router& r);    // /v1/stream, /v1/events, /v1/subscribers
void add_delta_routes(router& r);     // /v1/deltas
void add_snapshot_routes(router& r);  // /v1/snapshot
// Public pages and bulletins (service/src/public/, docs/public.md):
void add_public_page_routes(router& r);  // /, /offenders, /lookup, /bulletins..., /feed.atom
void add_public_api_routes(router& r);   // /v1/public/offenders, /v1/public/lookup
void add_bulletin_routes(router& r);     // /v1/bulletins...
void add_import_routes(router& r);       // /v1/bans/import (streamed body)
void add_report_routes(router& r);       // /v1/reports... (issue 7)
// Issue 7 admin routes (docs/admin-api.md):
void add_lift_bulk_routes(router& r);  // POST /v1/bans/lift (streamed body)
void add_export_routes(router& r);     // GET /v1/bans/export (streamed response)
void add_status_routes(router& r);     // GET /v1/status

// Adds every route above.
void add_all_routes(router& r);

// Returns a 400 response naming the first query parameter not in `allowed`.
std::optional<http_response> reject_unknown_params(const request_context& ctx,
                                                   std::initializer_list<std::string_view> allowed);

// The request's Content-Type without parameters, lower-cased
// ("Application/X-NDJSON; charset=utf-8" -> "application/x-ndjson").
std::string request_media_type(const request_context& ctx);

// Returns the store, or a 503 response when it is not open yet.
struct store_or_response {
  std::shared_ptr<store> handle;
  std::optional<http_response> failure;
};
store_or_response require_store(const request_context& ctx);

}  // namespace banlist::service::handlers
