#include "deltas/snapshot_checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <limits>
#include <system_error>

#include "banlist/sdk/file_io.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::service {
namespace fs = std::filesystem;

namespace {

// Far above any list this service is sized for (18 bytes per ban: ~55M bans
// per GiB), and a bound on what a stray file can make us allocate.
constexpr std::size_t kMaxFileBytes = std::size_t{4} << 30;

}  // namespace

std::expected<void, std::string> write_checkpoint(const std::string& path,
                                                  std::span<const std::uint8_t> fps_body) {
  const fs::path file(path);
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return std::unexpected("creating " + dir.string() + ": " + ec.message());
  auto written = sdk::detail::write_file_atomically(dir, file.filename().string(), fps_body);
  if (!written)
    return std::unexpected("writing " + path + ": " + written.error().message());
  return {};
}

namespace {

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// fsync of a file or directory by name.
std::expected<void, std::string> sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected("opening " + path + ": " + errno_text());
  const bool ok = ::fsync(fd) == 0;
  const std::string why = ok ? std::string() : errno_text();
  ::close(fd);
  if (!ok)
    return std::unexpected("syncing " + path + ": " + why);
  return {};
}

}  // namespace

std::expected<void, std::string> link_checkpoint(const std::string& path,
                                                 const std::string& source) {
  const fs::path file(path);
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return std::unexpected("creating " + dir.string() + ": " + ec.message());
  if (auto synced = sync_path(source, O_RDONLY); !synced)
    return synced;
  const std::string temporary = path + ".tmp";
  ::unlink(temporary.c_str());
  if (::link(source.c_str(), temporary.c_str()) != 0) {
    if (errno != EXDEV && errno != EPERM && errno != EMLINK)
      return std::unexpected("linking " + source + " to " + temporary + ": " + errno_text());
    // Another file system (or one without links): copy, then sync the copy.
    fs::copy_file(source, temporary, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      ::unlink(temporary.c_str());
      return std::unexpected("copying " + source + " to " + temporary + ": " + ec.message());
    }
    if (auto synced = sync_path(temporary, O_RDONLY); !synced) {
      ::unlink(temporary.c_str());
      return synced;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temporary.c_str());
    return std::unexpected("renaming " + temporary + " to " + path + ": " + why);
  }
  return sync_path(dir.string(), O_RDONLY | O_DIRECTORY);
}

std::expected<std::optional<checkpoint>, std::string> read_checkpoint(const std::string& path) {
  auto bytes = sdk::detail::read_file(path, kMaxFileBytes);
  if (!bytes) {
    if (bytes.error() == std::errc::no_such_file_or_directory)
      return std::optional<checkpoint>{};
    return std::unexpected("reading " + path + ": " + bytes.error().message());
  }
  auto decoded = sdk::decode_snapshot(*bytes);
  if (!decoded)
    return std::unexpected(path + " does not decode: " + decoded.error().message());
  if (decoded->kind != sdk::snapshot_kind::fps)
    return std::unexpected(path + " is not a list (fps) snapshot");
  bytes->clear();
  bytes->shrink_to_fit();  // the list is decoded; give back the file's copy first
  checkpoint cp;
  cp.epoch = decoded->epoch;
  cp.seed = decoded->seed;
  cp.seq = decoded->seq;
  cp.digest = decoded->digest;
  cp.entries.reserve(decoded->entries.size());
  for (const auto& e : decoded->entries) {
    cp.entries.push_back(
        banned_entry{e.fp, static_cast<std::uint8_t>(e.type), static_cast<std::uint8_t>(e.reason)});
  }
  return std::optional<checkpoint>(std::move(cp));
}

std::expected<void, std::string> continues(const checkpoint& cp, std::uint64_t epoch,
                                           std::uint64_t seed, const change_log_state& log,
                                           const change* next) {
  if (cp.epoch != epoch)
    return std::unexpected("it is of another list (epoch " + std::to_string(cp.epoch) +
                           ", Redis has " + std::to_string(epoch) + ")");
  if (cp.seed != seed)
    return std::unexpected("its fingerprint seed differs from the list's");
  if (cp.seq > log.head) {
    return std::unexpected("Redis is behind it (seq " + std::to_string(cp.seq) + ", log head " +
                           std::to_string(log.head) + ")");
  }
  if (cp.seq == log.head) {
    if (log.digest != cp.digest)
      return std::unexpected("the digest at its seq differs from Redis's (another history)");
    return {};
  }
  // The log must hold seq + 1 (so it can be replayed from there), and that
  // entry's digest with its own fingerprint toggled out again (a ban and a
  // lift both XOR it in) must be the checkpoint's.
  if (log.oldest > cp.seq + 1 || next == nullptr || next->seq != cp.seq + 1) {
    return std::unexpected("the change log no longer holds seq " + std::to_string(cp.seq + 1) +
                           " (trimmed)");
  }
  const fingerprint before{next->digest.high ^ next->fp.high, next->digest.low ^ next->fp.low};
  if (before != cp.digest)
    return std::unexpected("the digest at its seq differs from the log's (another history)");
  return {};
}

}  // namespace banlist::service
