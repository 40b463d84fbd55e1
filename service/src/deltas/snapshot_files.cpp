#include "deltas/snapshot_files.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "deltas/snapshot_builder.hpp"

namespace banlist::service {
namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

}  // namespace

snapshot_file::~snapshot_file() {
  ::unlink(path_.c_str());  // best effort: a stale file is removed at the next start
}

snapshot_directory::~snapshot_directory() {
  if (private_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::expected<void, std::string> snapshot_directory::open(const std::string& dir) {
  std::error_code ec;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/banlistd-snapshots-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      return std::unexpected("creating a snapshot directory " + pattern + ": " + errno_text());
    dir_ = pattern;
    private_ = true;
    return {};
  }
  fs::create_directories(dir, ec);
  if (ec)
    return std::unexpected("creating the snapshot directory " + dir + ": " + ec.message());
  // A previous run's files: only this instance uses a configured directory,
  // and nothing there is still served.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(kSnapshotFilePrefix)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
  if (ec)
    return std::unexpected("listing the snapshot directory " + dir + ": " + ec.message());
  dir_ = dir;
  return {};
}

std::string snapshot_directory::next_path(std::uint64_t seq, std::string_view ext) {
  return dir_ + "/" + std::string(kSnapshotFilePrefix) + std::to_string(seq) + "-" +
         std::to_string(counter_.fetch_add(1, std::memory_order_relaxed)) + "." + std::string(ext);
}

std::expected<std::shared_ptr<const snapshot_file>, std::string> snapshot_directory::adopt(
    const std::string& temporary, std::uint64_t seq, std::string_view ext, std::uint64_t size) {
  const std::string path = next_path(seq, ext);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temporary.c_str());
    return std::unexpected("renaming " + temporary + " to " + path + ": " + why);
  }
  return std::make_shared<const snapshot_file>(path, size);
}

std::expected<std::shared_ptr<const snapshot_file>, std::string> snapshot_directory::write(
    std::uint64_t seq, std::string_view ext, std::span<const std::uint8_t> bytes) {
  const std::string temporary = next_path(seq, std::string(ext) + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return std::unexpected("creating " + temporary + ": " + errno_text());
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t put = ::write(fd, p, left);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0) {
      const std::string why = errno_text();
      ::close(fd);
      ::unlink(temporary.c_str());
      return std::unexpected("writing " + temporary + ": " + why);
    }
    p += put;
    left -= static_cast<std::size_t>(put);
  }
  if (::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(temporary.c_str());
    return std::unexpected("closing " + temporary + ": " + why);
  }
  return adopt(temporary, seq, ext, bytes.size());
}

std::expected<stored_snapshot, std::string> snapshot_directory::store(const built_snapshot& built) {
  stored_snapshot out;
  out.epoch = built.epoch;
  out.seq = built.seq;
  out.digest = built.digest;
  out.count = built.count;
  auto fps = write(built.seq, "fps", built.fps_body);
  if (!fps)
    return std::unexpected(fps.error());
  auto filter = write(built.seq, "filter", built.filter_body);
  if (!filter)
    return std::unexpected(filter.error());  // `fps` unlinks itself
  out.fps = std::move(*fps);
  out.filter = std::move(*filter);
  return out;
}

}  // namespace banlist::service
