// The public HTML pages and the feed: GET /, /offenders, /lookup,
// /bulletins, /bulletins/{id}, /feed.atom, /static/{name}. Pages other than
// /lookup are rendered once per public version and served from the page
// cache (public_site); rendering reads one sorted-set range, O(page size).
#include <algorithm>
#include <charconv>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "handlers/handlers.hpp"
#include "json.hpp"
#include "public/pages.hpp"
#include "public/templates.hpp"
#include "public/text_blocks.hpp"
#include "service_state.hpp"

namespace banlist::service::handlers {
namespace {

namespace mu = kainjow::mustache;
namespace asio = boost::asio;
using namespace banlist::service::pages;

constexpr std::size_t kNoticePageSize = 50;
constexpr std::size_t kBulletinPageSize = 20;
constexpr std::size_t kFeedBans = 50;
constexpr std::size_t kFeedBulletins = 20;
constexpr std::size_t kExcerptBytes = 240;

std::string text(language lang, const char* key) {
  return text_of(lang, key);
}

std::optional<std::uint64_t> parse_cursor(const std::string& s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v == 0)
    return std::nullopt;
  return v;
}

// The HTML twin of reject_unknown_params: an unknown parameter is a 400 page.
std::optional<http_response> reject_unknown_page_params(
    const request_context& ctx, language lang, std::initializer_list<std::string_view> allowed) {
  if (auto bad = reject_unknown_params(ctx, allowed)) {
    return message_page(ctx, http::status::bad_request, lang, text(lang, "bad_request"),
                        text(lang, "bad_request") + "unknown parameter");
  }
  return std::nullopt;
}

http_response unavailable_page(const request_context& ctx, language lang) {
  auto res = message_page(ctx, http::status::service_unavailable, lang, text(lang, "unavailable"),
                          text(lang, "unavailable"));
  res.set(http::field::retry_after, "1");
  return res;
}

http_response not_found_page(const request_context& ctx, language lang) {
  return message_page(ctx, http::status::not_found, lang, text(lang, "not_found"),
                      text(lang, "not_found"));
}

http_response cached_response(const request_context& ctx, const cached_page& page,
                              std::string_view content_type) {
  return page_response(ctx, http::status::ok, content_type, page.body, page.etag, kPageCache);
}

std::shared_ptr<const cached_page> remember(request_context& ctx, const std::string& key,
                                            std::uint64_t version, std::string body) {
  auto page = std::make_shared<cached_page>();
  page->version = version;
  page->etag = etag_of(body);
  page->body = std::move(body);
  ctx.state.site().cache().put(key, page);
  return page;
}

asio::awaitable<http_response> notice_page(request_context& ctx) {
  const auto lang = request_language(ctx);
  if (auto bad = reject_unknown_page_params(ctx, lang, {"lang", "type", "reason", "cursor"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return too_many_requests(ctx, *wait, true);
  public_query query;
  query.limit = kNoticePageSize;
  std::string type_name, reason_name, cursor_text;
  if (const auto* t = ctx.query.find("type"); t && !t->empty()) {
    query.type = sdk::parse_identifier_type(*t);
    if (!query.type) {
      co_return message_page(ctx, http::status::bad_request, lang, text(lang, "bad_request"),
                             text(lang, "bad_request") + "type");
    }
    type_name = *t;
  }
  if (const auto* r = ctx.query.find("reason"); r && !r->empty()) {
    if (!sdk::parse_reason(*r)) {
      co_return message_page(ctx, http::status::bad_request, lang, text(lang, "bad_request"),
                             text(lang, "bad_request") + "reason");
    }
    query.reason = *r;
    reason_name = *r;
  }
  if (const auto* c = ctx.query.find("cursor"); c && !c->empty()) {
    const auto cursor = parse_cursor(*c);
    if (!cursor) {
      co_return message_page(ctx, http::status::bad_request, lang, text(lang, "bad_request"),
                             text(lang, "bad_request") + "cursor");
    }
    query.before_seq = *cursor;
    cursor_text = *c;
  }
  auto s = require_store(ctx);
  if (s.failure)
    co_return unavailable_page(ctx, lang);
  auto version = co_await s.handle->public_version();
  if (!version)
    co_return unavailable_page(ctx, lang);
  const std::string key = "notice|" + std::string(lang_param(lang)) + "|" + type_name + "|" +
                          reason_name + "|" + cursor_text;
  if (auto hit = ctx.state.site().cache().find(key, *version))
    co_return cached_response(ctx, *hit, kHtml);

  auto page = co_await s.handle->list_public(query);
  if (!page)
    co_return unavailable_page(ctx, lang);
  std::vector<std::pair<std::string, std::string>> filters;
  if (!type_name.empty())
    filters.emplace_back("type", type_name);
  if (!reason_name.empty())
    filters.emplace_back("reason", reason_name);
  auto self = filters;
  if (!cursor_text.empty())
    self.emplace_back("cursor", cursor_text);
  auto d = frame(ctx, lang, text(lang, "notice_heading"), ctx.path, self);
  d.set("lookup_types", type_options(lang, "phone"));
  d.set("filter_types", type_options(lang, type_name));
  d.set("filter_reasons", reason_options(lang, reason_name));
  d.set("caption", text(lang, "list_caption"));
  d.set("entries", entry_list(page->entries, lang));
  d.set("has_entries", !page->entries.empty());
  auto with_lang = [&](std::vector<std::pair<std::string, std::string>> q) {
    q.emplace_back("lang", std::string(lang_param(lang)));
    return "/?" + query_string(q);
  };
  d.set("has_first", query.before_seq != 0);
  d.set("first_href", with_lang(filters));
  d.set("has_next", page->next_cursor.has_value());
  if (page->next_cursor) {
    auto next = filters;
    next.emplace_back("cursor", std::to_string(*page->next_cursor));
    d.set("next_href", with_lang(next));
  }
  auto stored = remember(ctx, key, page->version, render_page(d, templates::notice));
  co_return cached_response(ctx, *stored, kHtml);
}

asio::awaitable<http_response> lookup_page(request_context& ctx) {
  const auto lang = request_language(ctx);
  if (auto bad = reject_unknown_page_params(ctx, lang, {"lang", "type", "value"}))
    co_return std::move(*bad);
  const auto* type_text = ctx.query.find("type");
  const auto* value = ctx.query.find("value");
  auto d = frame(ctx, lang, text(lang, "lookup_heading"), ctx.path, {});
  d.set("lookup_types", type_options(lang, type_text ? *type_text : "phone"));
  d.set("caption", text(lang, "lookup_result_heading"));
  d.set("invalid", false);
  d.set("listed", false);
  d.set("not_listed", false);
  auto respond = [&](http::status status) {
    // The lookup URL holds what the visitor typed: never stored by caches.
    return page_response(ctx, status, kHtml, render_page(d, templates::lookup), "", "no-store");
  };
  if (!value || value->empty())
    co_return respond(http::status::ok);  // the bare form costs no lookup token
  if (auto wait = ctx.state.site().lookup_limiter().take(ctx.client_address))
    co_return too_many_requests(ctx, *wait, true);
  const auto type = type_text ? sdk::parse_identifier_type(*type_text) : std::nullopt;
  auto normalized = type ? sdk::normalize(*type, *value)
                         : std::expected<std::string, sdk::normalize_error>(
                               std::unexpected(sdk::normalize_error{}));
  if (!type || !normalized) {
    d.set("invalid", true);
    co_return respond(http::status::bad_request);
  }
  auto s = require_store(ctx);
  const auto seed = ctx.state.seed();
  if (s.failure || !seed)
    co_return unavailable_page(ctx, lang);
  std::vector<fingerprint> fps{sdk::fingerprint_of(*type, *normalized, *seed)};
  auto found = co_await s.handle->public_entries(std::move(fps));
  if (!found)
    co_return unavailable_page(ctx, lang);
  if (found->front()) {
    d.set("listed", true);
    d.set("has_entries", true);
    std::vector<public_entry> entries{*found->front()};
    d.set("entries", entry_list(entries, lang));
  } else {
    d.set("not_listed", true);
  }
  co_return respond(http::status::ok);
}

mu::data bulletin_summary(const bulletin& b, language lang) {
  mu::data item;
  item.set("id", b.id);
  item.set("title", b.title);
  item.set("created", format_date(b.created_at_ms));
  item.set("excerpt", excerpt(b.body, kExcerptBytes));
  item.set("lang", std::string(lang_param(lang)));
  return item;
}

asio::awaitable<http_response> bulletins_page(request_context& ctx) {
  const auto lang = request_language(ctx);
  if (auto bad = reject_unknown_page_params(ctx, lang, {"lang", "cursor"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return too_many_requests(ctx, *wait, true);
  std::uint64_t cursor = 0;
  std::string cursor_text;
  if (const auto* c = ctx.query.find("cursor"); c && !c->empty()) {
    const auto parsed = parse_cursor(*c);
    if (!parsed) {
      co_return message_page(ctx, http::status::bad_request, lang, text(lang, "bad_request"),
                             text(lang, "bad_request") + "cursor");
    }
    cursor = *parsed;
    cursor_text = *c;
  }
  auto s = require_store(ctx);
  if (s.failure)
    co_return unavailable_page(ctx, lang);
  auto version = co_await s.handle->public_version();
  if (!version)
    co_return unavailable_page(ctx, lang);
  const std::string key = "bulletins|" + std::string(lang_param(lang)) + "|" + cursor_text;
  if (auto hit = ctx.state.site().cache().find(key, *version))
    co_return cached_response(ctx, *hit, kHtml);
  auto page = co_await s.handle->list_bulletins(cursor, kBulletinPageSize);
  if (!page)
    co_return unavailable_page(ctx, lang);
  std::vector<std::pair<std::string, std::string>> self;
  if (!cursor_text.empty())
    self.emplace_back("cursor", cursor_text);
  auto d = frame(ctx, lang, text(lang, "bulletins_heading"), ctx.path, self);
  mu::data items{mu::data::type::list};
  for (const auto& b : page->items)
    items.push_back(bulletin_summary(b, lang));
  d.set("items", items);
  d.set("has_items", !page->items.empty());
  d.set("has_first", cursor != 0);
  d.set("first_href", "/bulletins?lang=" + std::string(lang_param(lang)));
  d.set("has_next", page->next_cursor.has_value());
  if (page->next_cursor) {
    d.set("next_href", "/bulletins?cursor=" + std::to_string(*page->next_cursor) +
                           "&lang=" + std::string(lang_param(lang)));
  }
  // Tagged with the version read before the list: a change in between
  // makes the next request a miss, never a stale hit.
  auto stored = remember(ctx, key, *version, render_page(d, templates::bulletins));
  co_return cached_response(ctx, *stored, kHtml);
}

bool valid_bulletin_id(std::string_view id) {
  return !id.empty() && id.size() <= 19 && id.front() != '0' &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

asio::awaitable<http_response> bulletin_page(request_context& ctx) {
  const auto lang = request_language(ctx);
  if (auto bad = reject_unknown_page_params(ctx, lang, {"lang"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return too_many_requests(ctx, *wait, true);
  const std::string id(ctx.param("id"));
  if (!valid_bulletin_id(id))
    co_return not_found_page(ctx, lang);
  auto s = require_store(ctx);
  if (s.failure)
    co_return unavailable_page(ctx, lang);
  auto version = co_await s.handle->public_version();
  if (!version)
    co_return unavailable_page(ctx, lang);
  const std::string key = "bulletin|" + std::string(lang_param(lang)) + "|" + id;
  if (auto hit = ctx.state.site().cache().find(key, *version))
    co_return cached_response(ctx, *hit, kHtml);
  auto found = co_await s.handle->get_bulletin(id);
  if (!found)
    co_return unavailable_page(ctx, lang);
  if (!*found || !(*found)->published)
    co_return not_found_page(ctx, lang);
  const bulletin& b = **found;
  auto linked = co_await s.handle->public_entries(b.linked_bans);
  if (!linked)
    co_return unavailable_page(ctx, lang);
  std::vector<public_entry> shown;
  for (auto& e : *linked) {
    if (e)  // only bans that are public now
      shown.push_back(std::move(*e));
  }
  auto d = frame(ctx, lang, b.title, ctx.path, {});
  d.set("created", format_date(b.created_at_ms));
  d.set("updated", format_date(b.updated_at_ms));
  d.set("edited", b.updated_at_ms != b.created_at_ms);
  mu::data paragraphs{mu::data::type::list};
  for (const auto& lines : split_paragraphs(b.body)) {
    mu::data p;
    mu::data line_list{mu::data::type::list};
    for (std::size_t i = 0; i < lines.size(); ++i) {
      mu::data line;
      line.set("text", lines[i]);
      line.set("last", i + 1 == lines.size());
      line_list.push_back(line);
    }
    p.set("lines", line_list);
    paragraphs.push_back(p);
  }
  d.set("paragraphs", paragraphs);
  d.set("caption", text(lang, "linked_heading"));
  d.set("entries", entry_list(shown, lang));
  d.set("has_entries", !shown.empty());
  auto stored = remember(ctx, key, *version, render_page(d, templates::bulletin));
  co_return cached_response(ctx, *stored, kHtml);
}

asio::awaitable<http_response> feed(request_context& ctx) {
  const auto lang = request_language(ctx);
  if (auto bad = reject_unknown_params(ctx, {"lang"}))
    co_return std::move(*bad);
  if (auto wait = ctx.state.site().page_limiter().take(ctx.client_address))
    co_return too_many_requests(ctx, *wait, false);
  auto s = require_store(ctx);
  if (s.failure)
    co_return std::move(*s.failure);
  auto version = co_await s.handle->public_version();
  if (!version)
    co_return store_error_response(ctx, version.error(), false);
  const std::string key = "feed|" + std::string(lang_param(lang));
  if (auto hit = ctx.state.site().cache().find(key, *version))
    co_return cached_response(ctx, *hit, kAtom);
  public_query query;
  query.limit = kFeedBans;
  auto bans = co_await s.handle->list_public(query);
  if (!bans)
    co_return store_error_response(ctx, bans.error(), false);
  auto bulletins = co_await s.handle->list_bulletins(0, kFeedBulletins);
  if (!bulletins)
    co_return store_error_response(ctx, bulletins.error(), false);

  struct feed_entry {
    std::int64_t at_ms;
    mu::data data;
  };
  std::vector<feed_entry> entries;
  const std::string base = "tag:banlist,2024:" + std::to_string(ctx.state.epoch()) + "/";
  const std::string ban_word = text(lang, "feed_ban");
  for (const auto& e : bans->entries) {
    mu::data d;
    d.set("id", base + "ban/" + std::to_string(e.seq));
    d.set("title", ban_word + ": " + e.masked + " (" + std::string(type_label(e.type, lang)) +
                       ", " + reason_label(e.reason, lang) + ")");
    d.set("updated", format_time_ms(e.banned_at_ms));
    d.set("href", "/?lang=" + std::string(lang_param(lang)));
    std::string summary = reason_label(e.reason, lang);
    if (!e.source.empty())
      summary += " · " + e.source;
    if (!e.case_id.empty())
      summary += " · " + e.case_id;
    d.set("summary", summary);
    entries.push_back({e.banned_at_ms, d});
  }
  for (const auto& b : bulletins->items) {
    mu::data d;
    d.set("id", base + "bulletin/" + b.id);
    d.set("title", b.title);
    d.set("updated", format_time_ms(b.updated_at_ms));
    d.set("href", "/bulletins/" + b.id + "?lang=" + std::string(lang_param(lang)));
    d.set("summary", excerpt(b.body, kExcerptBytes));
    entries.push_back({b.updated_at_ms, d});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const feed_entry& a, const feed_entry& b) { return a.at_ms > b.at_ms; });
  mu::data d;
  d.set("lang_tag", std::string(lang_tag(lang)));
  d.set("t", text_table(lang));
  d.set("feed_id", base + "feed");
  d.set("updated", format_time_ms(entries.empty() ? 0 : entries.front().at_ms));
  mu::data list{mu::data::type::list};
  for (auto& e : entries)
    list.push_back(e.data);
  d.set("entries", list);
  auto stored = remember(ctx, key, *version, render_standalone(d, templates::feed));
  co_return cached_response(ctx, *stored, kAtom);
}

asio::awaitable<http_response> static_file(request_context& ctx) {
  const auto& site = ctx.state.site();
  if (auto bad = reject_unknown_params(ctx, {}))
    co_return std::move(*bad);
  if ("/static/" + std::string(ctx.param("name")) != site.css_path())
    co_return error_response(ctx, http::status::not_found, "not_found", "no such file");
  static const std::string etag = etag_of(templates::notice_css);
  co_return page_response(ctx, http::status::ok, "text/css; charset=utf-8",
                          std::string(ctx.state.site().css()), etag,
                          "public, max-age=31536000, immutable");
}

// Browsers ask for /favicon.ico on every site; an empty 204 keeps that out
// of their error consoles (the pages declare no icon).
asio::awaitable<http_response> favicon(request_context& ctx) {
  http_response res{http::status::no_content, ctx.request.version()};
  pages::set_security_headers(res);
  res.set(http::field::cache_control, "public, max-age=86400");
  co_return res;
}

}  // namespace

void add_public_page_routes(router& r) {
  r.add(http::verb::get, "/", std::nullopt, notice_page);
  r.add(http::verb::get, "/offenders", std::nullopt, notice_page);
  r.add(http::verb::get, "/lookup", std::nullopt, lookup_page);
  r.add(http::verb::get, "/bulletins", std::nullopt, bulletins_page);
  r.add(http::verb::get, "/bulletins/{id}", std::nullopt, bulletin_page);
  r.add(http::verb::get, "/feed.atom", std::nullopt, feed);
  r.add(http::verb::get, "/static/{name}", std::nullopt, static_file);
  r.add(http::verb::get, "/favicon.ico", std::nullopt, favicon);
}

}  // namespace banlist::service::handlers
