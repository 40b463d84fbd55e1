#include "table.hpp"

#include <algorithm>
#include <ostream>

#include "json_util.hpp"

namespace banlist::banctl {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes count as one.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto c = static_cast<unsigned char>(text[i++]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
  while (extra-- > 0 && i < text.size()) {
    const auto d = static_cast<unsigned char>(text[i]);
    if ((d & 0xC0) != 0x80)
      break;
    cp = (cp << 6) | (d & 0x3F);
    ++i;
  }
  return cp;
}

bool wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6);
}

// `text` cut to at most `width` columns, ending in "…" when cut; control
// characters (a note's line breaks) become spaces so rows stay one line.
std::string fit(std::string_view text, std::size_t width) {
  std::string out;
  std::size_t used = 0;
  std::size_t i = 0;
  const bool cut = display_width(text) > width;
  const std::size_t room = cut ? width - 1 : width;
  while (i < text.size()) {
    const std::size_t start = i;
    const char32_t cp = next_code_point(text, i);
    const std::size_t w = wide(cp) ? 2 : 1;
    if (used + w > room)
      break;
    used += w;
    if (cp < 0x20 || cp == 0x7F)
      out += ' ';
    else
      out.append(text.substr(start, i - start));
  }
  if (cut)
    out += "…";
  return out;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();)
    width += wide(next_code_point(text, i)) ? 2 : 1;
  return width;
}

void table::print(std::ostream& out, std::size_t max_cell) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c)
    widths[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], std::min(max_cell, display_width(row[c])));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < row.size() ? fit(row[c], max_cell) : std::string();
      line += cell;
      if (c + 1 < widths.size())
        line.append(widths[c] - display_width(cell) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out << line << '\n';
  };
  print_row(headers_);
  for (const auto& row : rows_)
    print_row(row);
}

void print_record(std::ostream& out, const rapidjson::Value& object) {
  if (!object.IsObject())
    return;
  std::size_t width = 0;
  for (const auto& m : object.GetObject())
    width = std::max<std::size_t>(width, m.name.GetStringLength());
  for (const auto& m : object.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    out << name << ':' << std::string(width - name.size() + 1, ' ') << display_text(m.value)
        << '\n';
  }
}

std::vector<std::string> cells_of(const rapidjson::Value& object,
                                  const std::vector<std::string_view>& columns) {
  std::vector<std::string> cells;
  cells.reserve(columns.size());
  for (const auto c : columns)
    cells.push_back(field_text(object, c));
  return cells;
}

}  // namespace banlist::banctl
