// Whole-file reads with a size bound and atomic whole-file replacement, for
// the SDK's stored replica and banlistd's start-up checkpoint. POSIX only
// (open/fsync/rename).
// Stateless functions: safe from any thread (on different files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <span>
#include <system_error>
#include <vector>

namespace banlist::sdk::detail {

// Returns the file's bytes. Errors: no_such_file_or_directory when absent;
// file_too_large when it holds more than max_bytes (checked before reading);
// other errno values.
std::expected<std::vector<std::uint8_t>, std::error_code> read_file(
    const std::filesystem::path& path, std::size_t max_bytes);

// Replaces dir/name with `bytes` so that after a crash the file holds either
// the old or the new contents, never a mix: writes dir/name.tmp, fsyncs it,
// renames it over dir/name and fsyncs the directory.
std::expected<void, std::error_code> write_file_atomically(const std::filesystem::path& dir,
                                                           std::string_view name,
                                                           std::span<const std::uint8_t> bytes);

// Removes dir/name if present (and fsyncs the directory).
void remove_file(const std::filesystem::path& dir, std::string_view name) noexcept;

}  // namespace banlist::sdk::detail
