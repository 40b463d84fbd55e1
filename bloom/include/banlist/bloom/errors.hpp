// Error codes of the bloom library: why a filter could not be built or read.
// They travel as std::error_code (category "banlist.bloom") so callers that mix
// libraries compare them the usual way: `ec == banlist::bloom::filter_errc::truncated`.
// The category is a stateless singleton: safe from any thread.
#pragma once

#include <system_error>

namespace banlist::bloom {

enum class filter_errc {
  invalid_argument = 1,  // zero expected items, rate outside (0, 1), non-finite rate
  too_large,             // the requested or encoded geometry exceeds kMaxFilterBytes
  out_of_memory,         // the allocator refused the block array
  truncated,             // fewer bytes than the header or the geometry needs
  bad_magic,             // not a banlist filter
  unsupported_version,   // a format version this build does not read
  bad_geometry,          // block size, probe count or block count out of range
  size_mismatch,         // byte count disagrees with the encoded block count
  checksum_mismatch,     // XXH3-64 over header and payload does not match
};

const std::error_category& filter_category() noexcept;

inline std::error_code make_error_code(filter_errc e) noexcept {
  return {static_cast<int>(e), filter_category()};
}

}  // namespace banlist::bloom

template <>
struct std::is_error_code_enum<banlist::bloom::filter_errc> : std::true_type {};
