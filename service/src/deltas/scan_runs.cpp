#include "deltas/scan_runs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <queue>
#include <system_error>
#include <type_traits>

#include "deltas/entry_sort.hpp"

namespace banlist::service {
namespace {

// Runs hold entries as they are in memory: they are read back by this
// process only.
static_assert(std::is_trivially_copyable_v<banned_entry>);
constexpr std::size_t kEntryBytes = sizeof(banned_entry);
constexpr std::size_t kReadEntries = 8192;  // per run while walking: 192 KB

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// One sorted source of a walk: a run file read a buffer at a time, or the
// in-memory last run.
class run_cursor {
 public:
  // A run file of `count` entries.
  static std::expected<run_cursor, std::string> open(const snapshot_file& file) {
    run_cursor c;
    c.path_ = file.path();
    c.left_ = file.size() / kEntryBytes;
    c.fd_ = ::open(c.path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (c.fd_ < 0)
      return std::unexpected("opening " + c.path_ + ": " + errno_text());
    c.owned_.resize(kReadEntries);
    return c;
  }
  // The in-memory run.
  explicit run_cursor(std::span<const banned_entry> entries) : view_(entries) {}

  run_cursor(run_cursor&& other) noexcept { *this = std::move(other); }
  run_cursor& operator=(run_cursor&& other) noexcept {
    std::swap(fd_, other.fd_);
    path_ = std::move(other.path_);
    left_ = other.left_;
    owned_ = std::move(other.owned_);
    view_ = other.view_;
    at_ = other.at_;
    return *this;
  }
  ~run_cursor() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  // The current entry; valid while !done().
  const banned_entry& head() const noexcept { return view_[at_]; }
  bool done() const noexcept { return at_ >= view_.size(); }

  // Moves to the next entry, refilling from the file when the buffer is used up.
  std::expected<void, std::string> advance() {
    ++at_;
    if (at_ < view_.size() || fd_ < 0)
      return {};
    return refill();
  }

  // Loads the first buffer (files only).
  std::expected<void, std::string> start() {
    return fd_ < 0 ? std::expected<void, std::string>{} : refill();
  }

 private:
  run_cursor() = default;

  std::expected<void, std::string> refill() {
    const std::size_t want = std::min<std::uint64_t>(left_, owned_.size());
    auto* bytes = reinterpret_cast<unsigned char*>(owned_.data());
    std::size_t have = 0;
    while (have < want * kEntryBytes) {
      const ssize_t got = ::read(fd_, bytes + have, want * kEntryBytes - have);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        return std::unexpected("reading " + path_ + ": " + errno_text());
      if (got == 0)
        return std::unexpected("reading " + path_ + ": the run ends early");
      have += static_cast<std::size_t>(got);
    }
    left_ -= want;
    view_ = std::span<const banned_entry>(owned_.data(), want);
    at_ = 0;
    return {};
  }

  int fd_ = -1;
  std::string path_;
  std::uint64_t left_ = 0;  // entries still in the file
  std::vector<banned_entry> owned_;
  std::span<const banned_entry> view_;
  std::size_t at_ = 0;
};

}  // namespace

scan_runs::scan_runs(snapshot_directory* dir, std::size_t run_entries)
    : dir_(dir), run_entries_(std::max<std::size_t>(run_entries, 1)) {}

std::expected<void, std::string> scan_runs::add(std::span<const banned_entry> page) {
  added_ += page.size();
  if (!dir_ || !dir_->is_open()) {  // nowhere to spill: one run in memory
    buffer_.insert(buffer_.end(), page.begin(), page.end());
    return {};
  }
  while (!page.empty()) {
    const std::size_t take = std::min(run_entries_ - buffer_.size(), page.size());
    buffer_.insert(buffer_.end(), page.begin(), page.begin() + static_cast<std::ptrdiff_t>(take));
    page = page.subspan(take);
    if (buffer_.size() == run_entries_) {
      if (auto spilled = spill(); !spilled)
        return spilled;
    }
  }
  return {};
}

std::expected<void, std::string> scan_runs::spill() {
  sort_by_fingerprint(buffer_);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(buffer_.data());
  auto written = dir_->write(0, "run", std::span(bytes, buffer_.size() * kEntryBytes));
  if (!written)
    return std::unexpected(written.error());
  runs_.push_back(std::move(*written));
  buffer_.clear();
  return {};
}

void scan_runs::seal() {
  sort_by_fingerprint(buffer_);
  buffer_.shrink_to_fit();
  sealed_ = true;
}

std::expected<void, std::string> scan_runs::walk(
    const std::function<void(const banned_entry&)>& emit) const {
  if (!sealed_)
    return std::unexpected("the scan is not sealed");
  std::vector<run_cursor> cursors;
  cursors.reserve(runs_.size() + 1);
  for (const auto& run : runs_) {
    auto opened = run_cursor::open(*run);
    if (!opened)
      return std::unexpected(opened.error());
    cursors.push_back(std::move(*opened));
  }
  cursors.emplace_back(std::span<const banned_entry>(buffer_));
  // The heap holds the index of every cursor with entries left, smallest
  // head on top.
  auto later = [&cursors](std::size_t a, std::size_t b) {
    return fp_less(cursors[b].head().fp, cursors[a].head().fp);
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heads(later);
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    if (auto started = cursors[i].start(); !started)
      return started;
    if (!cursors[i].done())
      heads.push(i);
  }
  bool any = false;
  fingerprint last;
  while (!heads.empty()) {
    const std::size_t i = heads.top();
    heads.pop();
    const banned_entry& e = cursors[i].head();
    if (!any || e.fp != last) {  // a scan may repeat an entry (layout 1's HSCAN did)
      emit(e);
      last = e.fp;
      any = true;
    }
    if (auto moved = cursors[i].advance(); !moved)
      return moved;
    if (!cursors[i].done())
      heads.push(i);
  }
  return {};
}

}  // namespace banlist::service
