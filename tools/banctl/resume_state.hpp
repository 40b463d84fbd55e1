// resume_state: the small file next to a bulk input that lets `banctl
// import` / `lift-bulk` resume an interrupted run from the first line the
// server did not acknowledge. It is keyed by what identifies the input —
// absolute path, size, mtime and a hash of its first 64 KiB — plus the
// server URL and operation, so a changed file or another server starts
// afresh instead of skipping lines. Written atomically (temp file + rename)
// after the reject file is flushed. Plain values, not thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace banlist::banctl {

struct resume_key {
  std::string path;  // absolute
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string prefix_hash;  // XXH3-64 of the first 64 KiB, hex
  std::string url;
  std::string operation;
  bool operator==(const resume_key&) const = default;
};

struct resume_state {
  resume_key key;
  std::uint64_t next_line = 0;    // first file line (1-based) not acknowledged
  std::uint64_t reject_size = 0;  // bytes of the reject file covering lines < next_line
  std::map<std::string, std::uint64_t> counts;  // per-line statuses so far
};

// The key of `file` for `url` / `operation`; an error text if it cannot be read.
std::expected<resume_key, std::string> key_of(const std::filesystem::path& file,
                                              const std::string& url, const std::string& operation);

// nullopt when the state file is absent or unreadable.
std::optional<resume_state> load_state(const std::filesystem::path& state_file);

// Writes the state atomically; false (with `error`) on failure.
bool save_state(const std::filesystem::path& state_file, const resume_state& state,
                std::string& error);

}  // namespace banlist::banctl
