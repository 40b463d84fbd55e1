#include "banlist/bloom/errors.hpp"

#include <string>

namespace banlist::bloom {
namespace {

class filter_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "banlist.bloom"; }

  std::string message(int code) const override {
    switch (static_cast<filter_errc>(code)) {
      case filter_errc::invalid_argument:
        return "invalid filter parameters";
      case filter_errc::too_large:
        return "filter too large";
      case filter_errc::out_of_memory:
        return "out of memory for filter";
      case filter_errc::truncated:
        return "serialized filter is truncated";
      case filter_errc::bad_magic:
        return "not a banlist filter (bad magic)";
      case filter_errc::unsupported_version:
        return "unsupported filter format version";
      case filter_errc::bad_geometry:
        return "invalid filter geometry";
      case filter_errc::size_mismatch:
        return "filter byte count does not match its geometry";
      case filter_errc::checksum_mismatch:
        return "filter checksum mismatch";
    }
    return "unknown bloom error";
  }
};

}  // namespace

const std::error_category& filter_category() noexcept {
  static const filter_category_impl category;
  return category;
}

}  // namespace banlist::bloom
