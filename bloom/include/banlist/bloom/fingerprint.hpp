// A fingerprint is the 128-bit key that stands for one banned identifier
// everywhere in banlist: Redis, the Bloom filter, deltas and the SDK.
//
// It is computed by the SDK as XXH3-128(seed, "type:normalized") (see
// docs/protocol.md); this header only defines the value type, its text form
// (32 lowercase hex digits, high 64 bits first) and ordering. Plain value
// type: safe to copy and share between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace banlist {

struct fingerprint {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  friend constexpr bool operator==(const fingerprint&, const fingerprint&) = default;
  friend constexpr auto operator<=>(const fingerprint&, const fingerprint&) = default;

  // Returns the 32-character lowercase hex form, high 64 bits first.
  std::string to_hex() const;

  // Writes the same 32 characters to out[0, 32), without allocating: a
  // batch check answer writes 10,000 of them.
  void write_hex(char* out) const noexcept;

  // Parses exactly 32 hex digits (either case). Returns nullopt otherwise.
  static std::optional<fingerprint> from_hex(std::string_view text) noexcept;
};

}  // namespace banlist

template <>
struct std::hash<banlist::fingerprint> {
  // The fingerprint is already a uniform hash; folding the halves is enough.
  std::size_t operator()(const banlist::fingerprint& fp) const noexcept {
    return static_cast<std::size_t>(fp.high ^ (fp.low * 0x9e3779b97f4a7c15ULL));
  }
};
