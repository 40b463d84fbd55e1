// import_lines: turns the body of POST /v1/bans/import into ban requests,
// one line at a time, without holding more than one line (plus one read
// chunk) in memory.
//
// line_splitter cuts a byte stream into numbered lines ('\n', an optional
// '\r' before it is dropped); a line longer than the limit is reported once
// as oversize and its bytes are skipped. csv_columns / csv_ban_fields /
// ndjson_ban_fields decode one line. Plain values, not thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/ban_fields.hpp"

namespace banlist::service::handlers {

struct body_line {
  std::uint64_t number = 0;  // 1-based line number in the body
  std::string text;          // without the line end; empty when oversize
  bool oversize = false;
};

class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line) : max_line_(max_line) {}

  // Appends bytes; complete lines go to `out` (appended).
  void feed(std::string_view bytes, std::vector<body_line>& out);
  // End of body: the last line if it had no final '\n'.
  void finish(std::vector<body_line>& out);

 private:
  void emit(std::vector<body_line>& out);

  std::size_t max_line_;
  std::uint64_t number_ = 0;
  std::string partial_;
  bool skipping_ = false;  // in an oversize line: drop bytes up to '\n'
};

// Column order of a CSV import, from its header line: each entry is an
// index into kBanFieldNames. Requires type, value and reason; refuses
// unknown and repeated columns.
std::expected<std::vector<std::size_t>, ban_problem> csv_columns(std::string_view header);

// Splits one CSV line (RFC 4180 quoting; a quoted field cannot contain a
// line break) and maps it onto `columns`. Empty cells are absent fields.
std::expected<ban_fields, ban_problem> csv_ban_fields(std::string_view line,
                                                      const std::vector<std::size_t>& columns);

// Parses one NDJSON line: the same object POST /v1/bans takes.
std::expected<ban_fields, ban_problem> ndjson_ban_fields(std::string_view line);

// True for a line with nothing but spaces and tabs (skipped, not reported).
bool blank_line(std::string_view line);

// The cells of one CSV line (RFC 4180 quoting; unquoted cells trimmed).
std::expected<std::vector<std::string>, ban_problem> split_csv(std::string_view line);

// split_csv for a data line, which must have exactly `columns` cells (as
// many as the header named): wrong_column_count otherwise.
std::expected<std::vector<std::string>, ban_problem> split_csv_row(std::string_view line,
                                                                   std::size_t columns);

}  // namespace banlist::service::handlers
