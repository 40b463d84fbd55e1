#include "deltas/snapshot_finish.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::service {

std::expected<stored_snapshot, std::string> write_snapshot_files(snapshot_directory& dir,
                                                                 const fps_header& header,
                                                                 double fp_rate,
                                                                 const entry_feed& feed) {
  auto filter =
      bloom::filter::with_capacity(std::max<std::uint64_t>(header.count, 1), fp_rate, header.seed);
  if (!filter)
    return std::unexpected("cannot size the filter: " + filter.error().message());
  const std::string temporary = dir.next_path(header.seq, "fps.tmp");
  auto writer = fps_writer::create(temporary, header);
  if (!writer) {
    ::unlink(temporary.c_str());
    return std::unexpected(writer.error());
  }
  // Inserted into the filter a chunk at a time (its batch insert prefetches).
  constexpr std::size_t kChunk = 65536;
  std::vector<fingerprint> pending;
  pending.reserve(kChunk);
  std::string write_error;
  auto fed = feed([&](const banned_entry& e) {
    if (write_error.empty()) {
      if (auto put = writer->append(e); !put)
        write_error = put.error();
    }
    pending.push_back(e.fp);
    if (pending.size() == kChunk) {
      filter->insert_batch(pending);
      pending.clear();
    }
  });
  filter->insert_batch(pending);
  if (fed && !write_error.empty())
    fed = std::unexpected(write_error);
  auto size = fed ? writer->finish() : std::unexpected(fed.error());
  if (!size) {
    ::unlink(temporary.c_str());
    return std::unexpected(size.error());
  }
  auto fps = dir.adopt(temporary, header.seq, "fps", *size);
  if (!fps)
    return std::unexpected(fps.error());
  const auto filter_body =
      sdk::encode_snapshot_filter(header.epoch, header.seq, header.digest, *filter);
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
