#include "deltas/fps_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t by value
#include <xxhash.h>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/entry_sort.hpp"

namespace banlist::service {
namespace {

namespace fmt = sdk::snapshot_format;

// 64K entries a read or write: few syscalls, ~1 MB of buffer.
constexpr std::size_t kBufferBytes = fmt::kEntryBytes * 65536;

std::uint64_t get_u64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

void put_u64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// Reads exactly n bytes at the current offset; false with errno on failure
// or end of file (errno 0).
bool read_all(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      if (got == 0)
        errno = 0;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    p += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

// The header's bytes for `h` with the checksum field zero.
std::array<std::uint8_t, fmt::kHeaderBytes> header_bytes(const fps_header& h) {
  std::array<std::uint8_t, fmt::kHeaderBytes> out{};
  std::copy(fmt::kMagic.begin(), fmt::kMagic.end(), out.begin());
  out[fmt::kVersionOffset] = fmt::kVersion;
  out[fmt::kKindOffset] = static_cast<std::uint8_t>(sdk::snapshot_kind::fps);
  put_u64(out.data() + fmt::kEpochOffset, h.epoch);
  put_u64(out.data() + fmt::kSeqOffset, h.seq);
  put_u64(out.data() + fmt::kCountOffset, h.count);
  put_u64(out.data() + fmt::kDigestOffset, h.digest.high);
  put_u64(out.data() + fmt::kDigestOffset + 8, h.digest.low);
  put_u64(out.data() + fmt::kSeedOffset, h.seed);
  put_u64(out.data() + fmt::kPayloadLengthOffset, h.count * fmt::kEntryBytes);
  return out;
}

// Starts the checksum over a header: every byte but the checksum field.
void hash_header(XXH3_state_t& hash, const std::uint8_t* header) {
  XXH3_64bits_reset(&hash);
  XXH3_64bits_update(&hash, header, fmt::kChecksumOffset);
  XXH3_64bits_update(&hash, header + fmt::kChecksumOffset + 8,
                     fmt::kHeaderBytes - fmt::kChecksumOffset - 8);
}

}  // namespace

struct fps_reader::state {
  std::string path;
  int fd = -1;
  XXH3_state_t hash;
  std::uint64_t checksum = 0;  // the header's
  std::uint64_t left = 0;      // entries not yet read
  fingerprint digest;
  fingerprint last;
  bool any = false;
  std::vector<std::uint8_t> buffer;
  ~state() {
    if (fd >= 0)
      ::close(fd);
  }
};

fps_reader::fps_reader(std::unique_ptr<state> s) : state_(std::move(s)) {}
fps_reader::fps_reader(fps_reader&&) noexcept = default;
fps_reader& fps_reader::operator=(fps_reader&&) noexcept = default;
fps_reader::~fps_reader() = default;

std::expected<fps_reader, std::string> fps_reader::open(const std::string& path) {
  auto s = std::make_unique<state>();
  s->path = path;
  s->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (s->fd < 0)
    return std::unexpected("opening " + path + ": " + errno_text());
  struct stat st {};
  if (::fstat(s->fd, &st) != 0)
    return std::unexpected("reading " + path + ": " + errno_text());
  std::array<std::uint8_t, fmt::kHeaderBytes> h{};
  if (!read_all(s->fd, h.data(), h.size()))
    return std::unexpected(path + " is not a snapshot: shorter than its header");
  const bool zero_reserved =
      h[fmt::kReservedOffset] == 0 && h[fmt::kReservedOffset + 1] == 0 &&
      std::all_of(h.begin() + fmt::kReserved2Offset, h.begin() + fmt::kPayloadLengthOffset,
                  [](std::uint8_t b) { return b == 0; });
  if (!std::equal(fmt::kMagic.begin(), fmt::kMagic.end(), h.begin()) ||
      h[fmt::kVersionOffset] != fmt::kVersion ||
      h[fmt::kKindOffset] != static_cast<std::uint8_t>(sdk::snapshot_kind::fps) || !zero_reserved ||
      get_u64(h.data() + fmt::kBlockCountOffset) != 0 || h[fmt::kProbesOffset] != 0) {
    return std::unexpected(path + " is not a list (fps) snapshot of format version 1");
  }
  fps_header header;
  header.epoch = get_u64(h.data() + fmt::kEpochOffset);
  header.seq = get_u64(h.data() + fmt::kSeqOffset);
  header.count = get_u64(h.data() + fmt::kCountOffset);
  header.digest = fingerprint{get_u64(h.data() + fmt::kDigestOffset),
                              get_u64(h.data() + fmt::kDigestOffset + 8)};
  header.seed = get_u64(h.data() + fmt::kSeedOffset);
  const std::uint64_t payload = get_u64(h.data() + fmt::kPayloadLengthOffset);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (header.count > size / fmt::kEntryBytes || payload != header.count * fmt::kEntryBytes ||
      size != fmt::kHeaderBytes + payload) {
    return std::unexpected(path + " is damaged: its length does not match its header");
  }
  s->checksum = get_u64(h.data() + fmt::kChecksumOffset);
  hash_header(s->hash, h.data());
  s->left = header.count;
  s->buffer.resize(kBufferBytes);
  fps_reader reader(std::move(s));
  reader.header_ = header;
  return reader;
}

std::expected<std::size_t, std::string> fps_reader::next(std::span<banned_entry> out) {
  state& s = *state_;
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>({s.left, out.size(), s.buffer.size() / fmt::kEntryBytes}));
  if (n == 0)
    return 0;
  const std::size_t bytes = n * fmt::kEntryBytes;
  if (!read_all(s.fd, s.buffer.data(), bytes)) {
    return std::unexpected(
        "reading " + s.path + ": " +
        (errno == 0 ? std::string("shorter than its header says") : errno_text()));
  }
  XXH3_64bits_update(&s.hash, s.buffer.data(), bytes);
  const std::uint8_t* p = s.buffer.data();
  for (std::size_t i = 0; i < n; ++i, p += fmt::kEntryBytes) {
    banned_entry& e = out[i];
    e.fp = fingerprint{get_u64(p + fmt::kEntryFpHigh), get_u64(p + fmt::kEntryFpLow)};
    e.type = p[fmt::kEntryType];
    e.reason = p[fmt::kEntryReason];
    if (!sdk::identifier_type_from_code(e.type) || !sdk::ban_reason_from_code(e.reason))
      return std::unexpected(s.path + " is damaged: an entry has an unknown code");
    if (s.any && !fp_less(s.last, e.fp))
      return std::unexpected(s.path + " is damaged: its entries are not strictly ascending");
    s.any = true;
    s.last = e.fp;
    s.digest.high ^= e.fp.high;
    s.digest.low ^= e.fp.low;
  }
  s.left -= n;
  return n;
}

std::expected<void, std::string> fps_reader::finish() {
  state& s = *state_;
  if (s.left != 0)
    return std::unexpected(s.path + ": finish() before the last entry");
  if (XXH3_64bits_digest(&s.hash) != s.checksum)
    return std::unexpected(s.path + " is damaged: its checksum does not match");
  if (s.digest != header_.digest)
    return std::unexpected(s.path + " is damaged: its entries do not match its digest");
  return {};
}

struct fps_writer::state {
  std::string path;
  int fd = -1;
  XXH3_state_t hash;
  std::uint64_t expected = 0;
  std::uint64_t written = 0;
  std::vector<std::uint8_t> buffer;
  std::size_t used = 0;
  std::string failure;  // the first write error; later calls repeat it
  ~state() {
    if (fd >= 0)
      ::close(fd);
  }
  bool flush() {
    if (used > 0 && !write_all(fd, buffer.data(), used)) {
      failure = "writing " + path + ": " + errno_text();
      return false;
    }
    XXH3_64bits_update(&hash, buffer.data(), used);
    used = 0;
    return true;
  }
};

fps_writer::fps_writer(std::unique_ptr<state> s) : state_(std::move(s)) {}
fps_writer::fps_writer(fps_writer&&) noexcept = default;
fps_writer& fps_writer::operator=(fps_writer&&) noexcept = default;
fps_writer::~fps_writer() = default;

std::expected<fps_writer, std::string> fps_writer::create(const std::string& path,
                                                          const fps_header& header) {
  auto s = std::make_unique<state>();
  s->path = path;
  s->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s->fd < 0)
    return std::unexpected("creating " + path + ": " + errno_text());
  const auto h = header_bytes(header);
  if (!write_all(s->fd, h.data(), h.size()))
    return std::unexpected("writing " + path + ": " + errno_text());
  hash_header(s->hash, h.data());
  s->expected = header.count;
  s->buffer.resize(kBufferBytes);
  return fps_writer(std::move(s));
}

std::expected<void, std::string> fps_writer::append(const banned_entry& e) {
  state& s = *state_;
  if (!s.failure.empty())
    return std::unexpected(s.failure);
  if (s.used == s.buffer.size() && !s.flush())
    return std::unexpected(s.failure);
  std::uint8_t* p = s.buffer.data() + s.used;
  put_u64(p + fmt::kEntryFpHigh, e.fp.high);
  put_u64(p + fmt::kEntryFpLow, e.fp.low);
  p[fmt::kEntryType] = e.type;
  p[fmt::kEntryReason] = e.reason;
  s.used += fmt::kEntryBytes;
  ++s.written;
  return {};
}

std::expected<std::uint64_t, std::string> fps_writer::finish() {
  state& s = *state_;
  if (!s.failure.empty() || !s.flush())
    return std::unexpected(s.failure);
  if (s.written != s.expected) {
    return std::unexpected("writing " + s.path + ": " + std::to_string(s.written) +
                           " entries for a header of " + std::to_string(s.expected));
  }
  std::array<std::uint8_t, 8> sum{};
  put_u64(sum.data(), XXH3_64bits_digest(&s.hash));
  if (::pwrite(s.fd, sum.data(), sum.size(), fmt::kChecksumOffset) != 8)
    return std::unexpected("writing " + s.path + ": " + errno_text());
  const int fd = std::exchange(s.fd, -1);
  if (::close(fd) != 0)
    return std::unexpected("closing " + s.path + ": " + errno_text());
  return fmt::kHeaderBytes + s.written * fmt::kEntryBytes;
}

}  // namespace banlist::service
