// text_blocks: how a bulletin's plain-text body is shown — paragraphs
// separated by blank lines, single newlines kept as line breaks, nothing
// interpreted as markup (docs/public.md, "Bulletins"). Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace banlist::service {

// Paragraphs of `body`, each a list of lines (no empty paragraphs).
std::vector<std::vector<std::string>> split_paragraphs(std::string_view body);

// The first paragraph joined into one line, cut at a UTF-8 boundary to at
// most `max_bytes` (with "…" appended when cut).
std::string excerpt(std::string_view body, std::size_t max_bytes);

}  // namespace banlist::service
