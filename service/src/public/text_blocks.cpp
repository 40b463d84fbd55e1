#include "public/text_blocks.hpp"

namespace banlist::service {
namespace {

bool blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r')
      return false;
  }
  return true;
}

}  // namespace

std::vector<std::vector<std::string>> split_paragraphs(std::string_view body) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> current;
  while (true) {
    const auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (blank(line)) {
      if (!current.empty())
        out.push_back(std::move(current));
      current.clear();
    } else {
      current.emplace_back(line);
    }
    if (nl == std::string_view::npos)
      break;
    body.remove_prefix(nl + 1);
  }
  if (!current.empty())
    out.push_back(std::move(current));
  return out;
}

std::string excerpt(std::string_view body, std::size_t max_bytes) {
  const auto paragraphs = split_paragraphs(body);
  if (paragraphs.empty())
    return {};
  std::string text;
  for (const auto& line : paragraphs.front()) {
    if (!text.empty())
      text += ' ';
    text += line;
  }
  if (text.size() <= max_bytes)
    return text;
  std::size_t cut = max_bytes;
  // Back up to the start of a UTF-8 sequence (never split a character).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  text.resize(cut);
  text += "…";
  return text;
}

}  // namespace banlist::service
