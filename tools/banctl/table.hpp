// table: human-readable output — aligned columns with a header row, and
// "name: value" blocks for one record. Widths count display columns (CJK
// characters take two). Plain values, not thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace banlist::banctl {

class table {
 public:
  explicit table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::size_t rows() const noexcept { return rows_.size(); }
  // Prints the header and rows; cells longer than `max_cell` columns are cut with "…".
  void print(std::ostream& out, std::size_t max_cell = 48) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text.
std::size_t display_width(std::string_view text);

// Prints every member of a JSON object as "name: value", names aligned.
void print_record(std::ostream& out, const rapidjson::Value& object);

// Cells of `object` named by `columns` (lower-case JSON member names).
std::vector<std::string> cells_of(const rapidjson::Value& object,
                                  const std::vector<std::string_view>& columns);

}  // namespace banlist::banctl
