#include "deltas/snapshot_finish.hpp"

#include <unistd.h>

#include <utility>

#include "banlist/sdk/snapshot.hpp"

namespace banlist::service {

std::expected<stored_snapshot, std::string> finish_snapshot_files(
    snapshot_directory& dir, const std::string& temporary,
    std::expected<std::uint64_t, std::string> fps_size, const fps_header& header,
    const bloom::filter& filter) {
  if (!fps_size) {
    ::unlink(temporary.c_str());
    return std::unexpected(std::move(fps_size.error()));
  }
  auto fps = dir.adopt(temporary, header.seq, "fps", *fps_size);
  if (!fps)
    return std::unexpected(fps.error());
  const auto filter_body =
      sdk::encode_snapshot_filter(header.epoch, header.seq, header.digest, filter);
  auto filter_file = dir.write(header.seq, "filter", filter_body);
  if (!filter_file)
    return std::unexpected(filter_file.error());
  stored_snapshot out;
  out.epoch = header.epoch;
  out.seq = header.seq;
  out.digest = header.digest;
  out.count = header.count;
  out.fps = std::move(*fps);
  out.filter = std::move(*filter_file);
  return out;
}

}  // namespace banlist::service
