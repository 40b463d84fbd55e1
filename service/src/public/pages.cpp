#include "public/pages.hpp"

#include "banlist/sdk/reason.hpp"
#include "json.hpp"
#include "public/templates.hpp"
#include "service_state.hpp"

namespace banlist::service::pages {
namespace {

namespace mu = kainjow::mustache;

constexpr std::string_view kCsp =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

bool etag_matches(std::string_view header, std::string_view etag) {
  // If-None-Match: a list of entity tags, or "*"; weak tags compare equal
  // by their opaque part (RFC 9110 weak comparison).
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.starts_with("W/"))
      item.remove_prefix(2);
    if (item == "*" || item == etag)
      return true;
  }
  return false;
}

std::string_view to_std(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

void set_security_headers(http_response& res) {
  res.set("Content-Security-Policy", std::string(kCsp));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
}

http_response page_response(const request_context& ctx, http::status status,
                            std::string_view content_type, std::string body, std::string_view etag,
                            std::string_view cache_control) {
  const bool not_modified = status == http::status::ok && !etag.empty() &&
                            etag_matches(to_std(ctx.request[http::field::if_none_match]), etag);
  http_response res{not_modified ? http::status::not_modified : status, ctx.request.version()};
  res.set(http::field::content_type, std::string(content_type));
  set_security_headers(res);
  if (!etag.empty())
    res.set(http::field::etag, std::string(etag));
  res.set(http::field::cache_control, std::string(cache_control));
  // The language may come from Accept-Language.
  res.set(http::field::vary, "Accept-Language");
  if (!not_modified)
    res.body() = std::move(body);
  return res;
}

language request_language(const request_context& ctx) {
  return choose_language(ctx.query.find("lang"), to_std(ctx.request[http::field::accept_language]));
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const auto& [name, value] : query) {
    if (!out.empty())
      out += '&';
    out += name;
    out += '=';
    for (unsigned char c : value) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
      if (plain) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  }
  return out;
}

mu::data frame(const request_context& ctx, language lang, const std::string& title,
               std::string_view path,
               const std::vector<std::pair<std::string, std::string>>& query) {
  mu::data d;
  d.set("lang", std::string(lang_param(lang)));
  d.set("lang_tag", std::string(lang_tag(lang)));
  d.set("t", text_table(lang));
  d.set("title", title);
  d.set("css_href", ctx.state.site().css_path());
  // The ban table's per-row labels as plain names: a dotted name is split
  // on every lookup, and a table has five per row.
  for (const char* key : {"col_type", "col_reason", "col_date", "col_source", "col_case"})
    d.set(std::string("label_") + key, text_of(lang, key));
  mu::data languages{mu::data::type::list};
  for (language l : {language::zh, language::en}) {
    auto q = query;
    q.emplace_back("lang", std::string(lang_param(l)));
    mu::data item;
    item.set("href", std::string(path) + "?" + query_string(q));
    item.set("tag", std::string(lang_tag(l)));
    item.set("name", l == language::zh ? "中文" : "English");
    item.set("current", l == lang);
    languages.push_back(item);
  }
  d.set("languages", languages);
  return d;
}

std::string render_page(mu::data& data, std::string_view content) {
  const std::string content_text(content);
  data.set("content", mu::partial([content_text] { return content_text; }));
  data.set("lookup_form", mu::partial([] { return std::string(templates::lookup_form); }));
  data.set("ban_table", mu::partial([] { return std::string(templates::ban_table); }));
  // One parsed layout per thread: parsing is the costly part of a render
  // and mustache objects are not shared between threads.
  thread_local mu::mustache layout{std::string(templates::layout)};
  return layout.render(data);
}

std::string render_standalone(const mu::data& data, std::string_view tpl) {
  mu::mustache m{std::string(tpl)};
  return m.render(data);
}

mu::data entry_data(const public_entry& e, language lang) {
  mu::data d;
  d.set("masked", e.masked);
  d.set("type_label", std::string(type_label(e.type, lang)));
  d.set("reason_label", reason_label(e.reason, lang));
  d.set("date", format_date(e.banned_at_ms));
  d.set("source", e.source);
  d.set("case_id", e.case_id);
  return d;
}

mu::data entry_list(const std::vector<public_entry>& entries, language lang) {
  mu::data list{mu::data::type::list};
  for (const auto& e : entries)
    list.push_back(entry_data(e, lang));
  return list;
}

http_response message_page(const request_context& ctx, http::status status, language lang,
                           const std::string& title, const std::string& message) {
  auto d = frame(ctx, lang, title, "/", {});
  d.set("message", message);
  auto body = render_page(d, templates::message);
  return page_response(ctx, status, kHtml, std::move(body), "", "no-store");
}

http_response too_many_requests(const request_context& ctx, std::chrono::seconds retry_after,
                                bool html) {
  http_response res;
  if (html) {
    const auto lang = request_language(ctx);
    const std::string text = text_of(lang, "rate_limited");
    res = message_page(ctx, http::status::too_many_requests, lang, text, text);
  } else {
    res = error_response(ctx, http::status::too_many_requests, "rate_limited",
                         "too many requests from this address; retry after the Retry-After "
                         "seconds");
    set_security_headers(res);
  }
  res.set(http::field::retry_after, std::to_string(retry_after.count()));
  return res;
}

mu::data type_options(language lang, std::string_view selected) {
  mu::data list{mu::data::type::list};
  for (unsigned code = 1; code <= 8; ++code) {
    const auto type = static_cast<sdk::identifier_type>(code);
    mu::data item;
    const auto name = std::string(sdk::to_string(type));
    item.set("value", name);
    item.set("label", std::string(type_label(type, lang)));
    item.set("selected", name == selected);
    list.push_back(item);
  }
  return list;
}

mu::data reason_options(language lang, std::string_view selected) {
  mu::data list{mu::data::type::list};
  for (unsigned code = 1; code <= 255; ++code) {
    const auto name = sdk::reason_name(sdk::change_op::ban, static_cast<std::uint8_t>(code));
    if (name.empty())
      continue;
    mu::data item;
    item.set("value", std::string(name));
    item.set("label", reason_label(name, lang));
    item.set("selected", name == selected);
    list.push_back(item);
  }
  return list;
}

}  // namespace banlist::service::pages
