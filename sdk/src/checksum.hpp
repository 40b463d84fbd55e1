// The checksum rule shared by banlist's binary wire formats: XXH3-64 (seed 0)
// over every byte except the 8-byte checksum field itself, as if that field
// were cut out. Pure function: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace banlist::sdk::detail {

// Requires: bytes.size() >= checksum_offset + 8.
std::uint64_t checksum_except(std::span<const std::uint8_t> bytes,
                              std::size_t checksum_offset) noexcept;

}  // namespace banlist::sdk::detail
