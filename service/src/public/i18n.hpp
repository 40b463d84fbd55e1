// i18n: the two languages of the public pages (Chinese by default, English),
// how a request picks one, and the text tables the templates use. Every
// text a page shows comes from here or from a ban record, never from a
// template literal, so the two languages stay complete.
//
// Pure functions over constant tables; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <kainjow/mustache.hpp>

#include "banlist/sdk/identifier.hpp"

namespace banlist::service {

enum class language { zh, en };

// `?lang=` wins when it names a language ("zh", "en", or a tag starting with
// them); otherwise the Accept-Language entry with the highest q that names
// one; otherwise Chinese.
language choose_language(const std::string* lang_param, std::string_view accept_language);

// "zh" or "en": the ?lang= value of links.
std::string_view lang_param(language lang) noexcept;
// "zh-CN" or "en": the html lang attribute.
std::string_view lang_tag(language lang) noexcept;

// The page texts as a mustache object ({{t.site}}, {{t.col_type}}, ...),
// built once per language.
const kainjow::mustache::data& text_table(language lang);
// One text of the table ("" for an unknown key).
const std::string& text_of(language lang, std::string_view key);

std::string_view type_label(sdk::identifier_type type, language lang) noexcept;
// A reason wire name's label; a name outside the vocabulary is shown as is.
std::string reason_label(std::string_view reason, language lang);

// "2026-05-01" (UTC) for a unix time in ms.
std::string format_date(std::int64_t unix_ms);

}  // namespace banlist::service
