#include "banlist/sdk/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

namespace banlist::sdk::detail {
namespace {

std::unexpected<std::error_code> last_error() noexcept {
  return std::unexpected(std::error_code(errno, std::system_category()));
}

// Closes a descriptor on every path out.
class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::expected<void, std::error_code> sync_directory(const std::filesystem::path& dir) {
  fd_guard fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0)
    return last_error();
  if (::fsync(fd.get()) != 0)
    return last_error();
  return {};
}

}  // namespace

std::expected<std::vector<std::uint8_t>, std::error_code> read_file(
    const std::filesystem::path& path, std::size_t max_bytes) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return last_error();
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    return last_error();
  if (!S_ISREG(info.st_mode))
    return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  if (info.st_size < 0 || static_cast<std::uint64_t>(info.st_size) > max_bytes)
    return std::unexpected(std::make_error_code(std::errc::file_too_large));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return last_error();
    if (n == 0)  // shrank while we read: read what is there, the checksum decides
      break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::expected<void, std::error_code> write_file_atomically(const std::filesystem::path& dir,
                                                           std::string_view name,
                                                           std::span<const std::uint8_t> bytes) {
  const std::filesystem::path target = dir / name;
  std::filesystem::path temp = target;
  temp += ".tmp";
  fd_guard fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return last_error();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto error = last_error();
      ::unlink(temp.c_str());
      return error;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    auto error = last_error();
    ::unlink(temp.c_str());
    return error;
  }
  if (::close(fd.release()) != 0)
    return last_error();
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    auto error = last_error();
    ::unlink(temp.c_str());
    return error;
  }
  return sync_directory(dir);
}

void remove_file(const std::filesystem::path& dir, std::string_view name) noexcept {
  const std::filesystem::path target = dir / name;
  if (::unlink(target.c_str()) == 0)
    (void)sync_directory(dir);
}

}  // namespace banlist::sdk::detail
