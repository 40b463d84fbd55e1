// pages: rendering and response helpers shared by the public routes — the
// security headers every page carries, ETag/304, the page frame (layout,
// language links, texts) and mustache rendering. Every value reaches HTML
// through mustache's escaping ({{x}}); the templates use no triple
// mustaches, and partials are only our own templates.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <kainjow/mustache.hpp>

#include "public/i18n.hpp"
#include "request_context.hpp"
#include "store/store.hpp"

namespace banlist::service::pages {

inline constexpr std::string_view kHtml = "text/html; charset=utf-8";
inline constexpr std::string_view kAtom = "application/atom+xml; charset=utf-8";
// Pages change when a ban is published or lifted: short, then revalidate
// with the ETag.
inline constexpr std::string_view kPageCache = "public, max-age=10";

// The headers of every public page: CSP without inline script or style,
// nosniff, no referrer (lookup URLs carry what the visitor typed), no
// framing.
void set_security_headers(http_response& res);

// A page response; answers 304 when the request's If-None-Match names `etag`.
http_response page_response(const request_context& ctx, http::status status,
                            std::string_view content_type, std::string body, std::string_view etag,
                            std::string_view cache_control);

// The language of this request (?lang=, Accept-Language, default zh).
language request_language(const request_context& ctx);

// The data every page frame needs. `path` and `query` (without lang) give
// the language links the same page in the other language.
kainjow::mustache::data frame(const request_context& ctx, language lang, const std::string& title,
                              std::string_view path,
                              const std::vector<std::pair<std::string, std::string>>& query);

// Renders `content` inside the layout with `data`; the ban table and the
// lookup form are available to it as partials.
std::string render_page(kainjow::mustache::data& data, std::string_view content);
// Renders a standalone template (the Atom feed).
std::string render_standalone(const kainjow::mustache::data& data, std::string_view tpl);

// One ban as the templates show it (masked, labels, date).
kainjow::mustache::data entry_data(const public_entry& entry, language lang);
kainjow::mustache::data entry_list(const std::vector<public_entry>& entries, language lang);

// "a=1&b=2" with each value percent-encoded.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& query);

// A short page with a heading and one message (errors, 404, 429, 503).
http_response message_page(const request_context& ctx, http::status status, language lang,
                           const std::string& title, const std::string& message);

// The 429 of a public route: HTML or JSON, with Retry-After.
http_response too_many_requests(const request_context& ctx, std::chrono::seconds retry_after,
                                bool html);

// Identifier type and reason options for the forms, `selected` marked.
kainjow::mustache::data type_options(language lang, std::string_view selected);
kainjow::mustache::data reason_options(language lang, std::string_view selected);

}  // namespace banlist::service::pages
