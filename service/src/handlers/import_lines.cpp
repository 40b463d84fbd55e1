#include "handlers/import_lines.hpp"

#include <algorithm>
#include <charconv>

#include "json.hpp"
#include "time_text.hpp"

namespace banlist::service::handlers {
namespace {

ban_problem problem(std::string code, std::string message) {
  return ban_problem{std::move(code), std::move(message), {}, {}};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// A line kept whole may hold one byte past the limit, for a '\r' before its
// '\n' (feed); anything else that long is oversize, the body's last line
// (which has no '\n') too.
bool over_limit(const std::string& line, std::size_t max_line) {
  return line.size() > max_line && !(line.size() == max_line + 1 && line.back() == '\r');
}

}  // namespace

std::expected<std::vector<std::string>, ban_problem> split_csv(std::string_view line) {
  std::vector<std::string> cells;
  std::string cell;
  std::size_t i = 0;
  while (true) {
    cell.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size())
          return std::unexpected(problem("malformed_csv", "unterminated quoted field"));
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        return std::unexpected(
            problem("malformed_csv", "a quoted field must be followed by a comma or the line end"));
      }
    } else {
      const auto comma = line.find(',', i);
      const auto end = comma == std::string_view::npos ? line.size() : comma;
      const auto raw = line.substr(i, end - i);
      if (raw.find('"') != std::string_view::npos) {
        return std::unexpected(
            problem("malformed_csv", "a quote inside an unquoted field; quote the whole field"));
      }
      cell.assign(trim(raw));
      i = end;
    }
    cells.push_back(cell);
    if (i >= line.size())
      break;
    ++i;  // the comma
  }
  return cells;
}

std::expected<std::vector<std::string>, ban_problem> split_csv_row(std::string_view line,
                                                                   std::size_t columns) {
  auto cells = split_csv(line);
  if (!cells)
    return std::unexpected(cells.error());
  if (cells->size() != columns) {
    return std::unexpected(problem("wrong_column_count", "expected " + std::to_string(columns) +
                                                             " fields as in the header, found " +
                                                             std::to_string(cells->size())));
  }
  return cells;
}

void line_splitter::emit(std::vector<body_line>& out) {
  body_line line;
  line.number = ++number_;
  if (skipping_) {
    line.oversize = true;
  } else {
    if (!partial_.empty() && partial_.back() == '\r')
      partial_.pop_back();
    line.text = std::move(partial_);
  }
  partial_.clear();
  skipping_ = false;
  out.push_back(std::move(line));
}

void line_splitter::feed(std::string_view bytes, std::vector<body_line>& out) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto piece = bytes.substr(0, nl);
    if (!skipping_) {
      // +1: a '\r' before the '\n' does not count against the limit.
      if (partial_.size() + piece.size() > max_line_ + 1) {
        skipping_ = true;
        partial_.clear();
      } else {
        partial_.append(piece);
      }
    }
    if (nl == std::string_view::npos)
      return;
    skipping_ = skipping_ || over_limit(partial_, max_line_);
    emit(out);
    bytes.remove_prefix(nl + 1);
  }
}

void line_splitter::finish(std::vector<body_line>& out) {
  if (skipping_ || !partial_.empty()) {
    skipping_ = skipping_ || over_limit(partial_, max_line_);
    emit(out);
  }
}

bool blank_line(std::string_view line) {
  return trim(line).empty();
}

std::expected<std::vector<std::size_t>, ban_problem> csv_columns(std::string_view header) {
  if (header.starts_with("\xEF\xBB\xBF"))  // UTF-8 byte order mark
    header.remove_prefix(3);
  auto cells = split_csv(header);
  if (!cells)
    return std::unexpected(cells.error());
  std::vector<std::size_t> columns;
  for (const auto& name : *cells) {
    const auto* found = std::find(std::begin(kBanFieldNames), std::end(kBanFieldNames), name);
    if (found == std::end(kBanFieldNames)) {
      std::string allowed;
      for (auto n : kBanFieldNames)
        allowed.append(allowed.empty() ? "" : ", ").append(n);
      return std::unexpected(
          problem("unknown_column", "unknown CSV column '" + name + "'; columns are: " + allowed));
    }
    const auto index = static_cast<std::size_t>(found - std::begin(kBanFieldNames));
    if (std::find(columns.begin(), columns.end(), index) != columns.end())
      return std::unexpected(problem("duplicate_column", "CSV column '" + name + "' repeated"));
    columns.push_back(index);
  }
  for (std::size_t required : {0u, 1u, 2u}) {
    if (std::find(columns.begin(), columns.end(), required) == columns.end()) {
      return std::unexpected(
          problem("missing_column", "the CSV header must name the columns type, value and reason"));
    }
  }
  return columns;
}

std::expected<ban_fields, ban_problem> csv_ban_fields(std::string_view line,
                                                      const std::vector<std::size_t>& columns) {
  auto cells = split_csv_row(line, columns.size());
  if (!cells)
    return std::unexpected(cells.error());
  ban_fields f;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string& cell = (*cells)[i];
    if (cell.empty())
      continue;
    switch (columns[i]) {
      case 0:
        f.type = std::move(cell);
        break;
      case 1:
        f.value = std::move(cell);
        break;
      case 2:
        f.reason = std::move(cell);
        break;
      case 3:
        f.note = std::move(cell);
        break;
      case 4:
        f.case_id = std::move(cell);
        break;
      case 5:
        f.source = std::move(cell);
        break;
      case 6:
        if (cell == "true" || cell == "1") {
          f.is_public = true;
        } else if (cell == "false" || cell == "0") {
          f.is_public = false;
        } else {
          return std::unexpected(problem("invalid_field", "public must be true or false"));
        }
        break;
      case 7: {
        // Unix seconds or RFC 3339 (issue 7, as POST /v1/bans).
        const auto v = parse_time_seconds(cell);
        if (!v) {
          return std::unexpected(
              problem("invalid_field", "expires_at must be unix seconds or an RFC 3339 date-time"));
        }
        f.expires_at = *v;
        break;
      }
      default:
        break;
    }
  }
  return f;
}

std::expected<ban_fields, ban_problem> ndjson_ban_fields(std::string_view line) {
  auto object = parse_json_object(line);
  if (!object)
    return std::unexpected(problem("malformed_json", object.error()));
  return ban_fields_from_json(*object);
}

}  // namespace banlist::service::handlers
