#include "deltas/snapshot_merge.hpp"

#include <unistd.h>

#include <algorithm>
#include <unordered_map>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/fps_file.hpp"
#include "deltas/snapshot_finish.hpp"

namespace banlist::service {
namespace {

constexpr std::size_t kChunk = 65536;

bool fp_less(const fingerprint& a, const fingerprint& b) noexcept {
  return a.high != b.high ? a.high < b.high : a.low < b.low;
}

// The net effect of the replay on one fingerprint: its last change.
struct edit {
  fingerprint fp;
  bool ban = false;
  banned_entry entry;  // when ban
};

std::expected<std::vector<edit>, std::string> edits_of(const std::vector<change>& replay) {
  std::unordered_map<fingerprint, const change*> last;
  for (const auto& c : replay)
    last[c.fp] = &c;
  std::vector<edit> out;
  out.reserve(last.size());
  for (const auto& [fp, c] : last) {
    edit e;
    e.fp = fp;
    e.ban = c->op == change_op::ban;
    if (e.ban) {
      // The codes bl:banned keeps (as snapshot_builder's entry_of).
      const auto reason = sdk::parse_reason(c->reason).value_or(sdk::ban_reason::other);
      e.entry =
          banned_entry{fp, static_cast<std::uint8_t>(c->type), static_cast<std::uint8_t>(reason)};
      if (!sdk::identifier_type_from_code(e.entry.type))
        return std::unexpected("the change log holds an unknown type code");
    }
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const edit& a, const edit& b) { return fp_less(a.fp, b.fp); });
  return out;
}

// Walks the base file and the edits in fingerprint order and calls
// emit(entry) for every entry of the new list, ascending. Ends with the
// reader's own checks (checksum, digest).
template <class Emit>
std::expected<void, std::string> merge_walk(const std::string& base_fps, const merge_input& input,
                                            const std::vector<edit>& edits, Emit&& emit) {
  auto reader = fps_reader::open(base_fps);
  if (!reader)
    return std::unexpected(reader.error());
  if (reader->header().epoch != input.epoch || reader->header().seed != input.seed)
    return std::unexpected(base_fps + " is of another list (epoch or seed)");
  if (reader->header().seq > input.seq)
    return std::unexpected(base_fps + " is newer than the build's seq");
  std::vector<banned_entry> chunk(kChunk);
  std::size_t next = 0;
  while (true) {
    auto got = reader->next(chunk);
    if (!got)
      return std::unexpected(got.error());
    if (*got == 0)
      break;
    for (std::size_t i = 0; i < *got; ++i) {
      const banned_entry& e = chunk[i];
      for (; next < edits.size() && fp_less(edits[next].fp, e.fp); ++next) {
        if (edits[next].ban)
          emit(edits[next].entry);
      }
      if (next < edits.size() && edits[next].fp == e.fp) {
        if (edits[next].ban)
          emit(edits[next].entry);  // re-banned: the newest codes
        ++next;                     // a lift drops it
        continue;
      }
      emit(e);
    }
  }
  for (; next < edits.size(); ++next) {
    if (edits[next].ban)
      emit(edits[next].entry);
  }
  return reader->finish();
}

}  // namespace

std::expected<stored_snapshot, std::string> merge_snapshot(snapshot_directory& dir,
                                                           const std::string& base_fps,
                                                           const merge_input& input) {
  auto edits = edits_of(input.replay);
  if (!edits)
    return std::unexpected(edits.error());

  // Pass 1: check the base and count the result.
  fps_header header;
  header.epoch = input.epoch;
  header.seq = input.seq;
  header.seed = input.seed;
  auto counted = merge_walk(base_fps, input, *edits, [&](const banned_entry& e) {
    ++header.count;
    header.digest.high ^= e.fp.high;
    header.digest.low ^= e.fp.low;
  });
  if (!counted)
    return std::unexpected(counted.error());
  if (header.digest != input.digest) {
    return std::unexpected("the set at seq " + std::to_string(input.seq) +
                           " does not match its digest");
  }

  // Pass 2: write the fps file and fill the filter.
  return write_snapshot_files(dir, header, input.fp_rate, [&](const auto& sink) {
    return merge_walk(base_fps, input, *edits, sink);
  });
}

}  // namespace banlist::service
