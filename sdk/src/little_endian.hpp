// Little-endian loads and stores on unaligned bytes, the byte order of every
// banlist binary format whatever the host. memcpy compiles to a plain move.
// Pure functions: safe from any thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace banlist::sdk::detail {

template <typename T>
inline void put_le(std::uint8_t* out, T value) noexcept {
  if constexpr (std::endian::native == std::endian::big)
    value = std::byteswap(value);
  std::memcpy(out, &value, sizeof value);
}

template <typename T>
inline T get_le(const std::uint8_t* in) noexcept {
  T value;
  std::memcpy(&value, in, sizeof value);
  if constexpr (std::endian::native == std::endian::big)
    value = std::byteswap(value);
  return value;
}

}  // namespace banlist::sdk::detail
