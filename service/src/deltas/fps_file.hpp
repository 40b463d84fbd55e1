// fps_file: reads and writes a list snapshot container of kind fps
// (sdk/snapshot.hpp) as a stream on a file, a chunk of entries at a time, so
// a 10M-ban list (180 MB) never has to be in memory at once. The bytes are
// exactly those of sdk::encode_snapshot_fps / accepted by
// sdk::decode_snapshot.
//
// fps_reader checks the header when it opens, then the codes, the strict
// order, the XOR digest and the checksum as the entries go by; a caller
// trusts what it read only once finish() succeeded. fps_writer takes the
// whole header up front (the caller counts first) and fills the checksum in
// at the end.
//
// Thread-safety: one object per thread; distinct objects are independent.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "banlist/bloom/fingerprint.hpp"
#include "store/store.hpp"

namespace banlist::service {

// The header fields of an fps container.
struct fps_header {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint64_t count = 0;
  fingerprint digest;
  std::uint64_t seed = 0;
};

class fps_reader {
 public:
  // Opens `path` and checks its header (magic, version, kind fps, reserved
  // bytes, payload length against the file size). Errors name the file.
  static std::expected<fps_reader, std::string> open(const std::string& path);

  fps_reader(fps_reader&&) noexcept;
  fps_reader& operator=(fps_reader&&) noexcept;
  ~fps_reader();

  const fps_header& header() const noexcept { return header_; }

  // Fills `out` with the next entries; returns how many (0 at the end).
  // Errors: a read error, an unknown code, entries out of order.
  std::expected<std::size_t, std::string> next(std::span<banned_entry> out);

  // After the last entry: the checksum and the digest must be the header's.
  std::expected<void, std::string> finish();

 private:
  struct state;
  explicit fps_reader(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
  fps_header header_;
};

class fps_writer {
 public:
  // Creates (truncates) `path` and writes the header.
  static std::expected<fps_writer, std::string> create(const std::string& path,
                                                       const fps_header& header);

  fps_writer(fps_writer&&) noexcept;
  fps_writer& operator=(fps_writer&&) noexcept;
  ~fps_writer();  // closes; an unfinished file is left for the caller to remove

  // Appends one entry (buffered). Requires: ascending, known codes; the
  // count must end equal to the header's (finish() checks).
  std::expected<void, std::string> append(const banned_entry& e);

  // Flushes, writes the checksum, closes. Returns the file size.
  std::expected<std::uint64_t, std::string> finish();

 private:
  struct state;
  explicit fps_writer(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace banlist::service
