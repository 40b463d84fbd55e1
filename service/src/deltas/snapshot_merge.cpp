#include "deltas/snapshot_merge.hpp"

#include <unistd.h>

#include <algorithm>
#include <unordered_map>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/entry_sort.hpp"
#include "deltas/fps_file.hpp"
#include "deltas/snapshot_finish.hpp"

namespace banlist::service {
namespace {

constexpr std::size_t kChunk = 65536;

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

// Calls on_entry(entry) for every entry of the previous snapshot's file,
// ascending, after checking that it belongs to this build; ends with the
// reader's own checks (checksum, digest).
auto file_base(const std::string& base_fps, const merge_input& input) {
  return [&base_fps, &input](const auto& on_entry) -> std::expected<void, std::string> {
    auto reader = fps_reader::open(base_fps);
    if (!reader)
      return std::unexpected(reader.error());
    if (reader->header().epoch != input.epoch || reader->header().seed != input.seed)
      return std::unexpected(base_fps + " is of another list (epoch or seed)");
    if (reader->header().seq > input.seq)
      return std::unexpected(base_fps + " is newer than the build's seq");
    std::vector<banned_entry> chunk(kChunk);
    while (true) {
      auto got = reader->next(chunk);
      if (!got)
        return std::unexpected(got.error());
      if (*got == 0)
        break;
      for (std::size_t i = 0; i < *got; ++i)
        on_entry(chunk[i]);
    }
    return reader->finish();
  };
}

// The same for a scan of bl:banned.
auto scan_base(const scan_runs& scan) {
  return [&scan](const auto& on_entry) { return scan.walk(on_entry); };
}

// Walks the base (ascending) and the edits in fingerprint order and calls
// emit(entry) for every entry of the new list, ascending. An edit replaces
// whatever the base holds for its fingerprint: the base may or may not have
// seen that change.
template <class Base, class Emit>
std::expected<void, std::string> merge_walk(const Base& base, const std::vector<edit>& edits,
                                            Emit&& emit) {
  std::size_t next = 0;
  auto walked = base([&](const banned_entry& e) {
    for (; next < edits.size() && fp_less(edits[next].fp, e.fp); ++next) {
      if (edits[next].ban)
        emit(edits[next].entry);
    }
    if (next < edits.size() && edits[next].fp == e.fp) {
      if (edits[next].ban)
        emit(edits[next].entry);  // re-banned: the newest codes
      ++next;                     // a lift drops it
      return;
    }
    emit(e);
  });
  if (!walked)
    return walked;
  for (; next < edits.size(); ++next) {
    if (edits[next].ban)
      emit(edits[next].entry);
  }
  return {};
}

// Both passes over `base`: count and check the digest, then write.
template <class Base>
std::expected<stored_snapshot, std::string> merge_onto(snapshot_directory& dir, const Base& base,
                                                       const merge_input& input) {
  auto edits = edits_of(input.replay);
  if (!edits)
    return std::unexpected(edits.error());

  // Pass 1: check the base and count the result.
  fps_header header;
  header.epoch = input.epoch;
  header.seq = input.seq;
  header.seed = input.seed;
  bool unknown_code = false;  // a file base was checked as it was read; a scan was not
  auto counted = merge_walk(base, *edits, [&](const banned_entry& e) {
    if (!sdk::identifier_type_from_code(e.type) || !sdk::ban_reason_from_code(e.reason))
      unknown_code = true;
    ++header.count;
    header.digest.high ^= e.fp.high;
    header.digest.low ^= e.fp.low;
  });
  if (!counted)
    return std::unexpected(counted.error());
  if (unknown_code)
    return std::unexpected("bl:banned holds an unknown type or reason code");
  if (header.digest != input.digest) {
    return std::unexpected("the set at seq " + std::to_string(input.seq) +
                           " does not match its digest");
  }

  // Pass 2: write the fps file and fill the filter.
  return write_snapshot_files(dir, header, input.fp_rate,
                              [&](const auto& sink) { return merge_walk(base, *edits, sink); });
}

}  // namespace

std::expected<stored_snapshot, std::string> merge_snapshot(snapshot_directory& dir,
                                                           const std::string& base_fps,
                                                           const merge_input& input) {
  return merge_onto(dir, file_base(base_fps, input), input);
}

std::expected<stored_snapshot, std::string> merge_scan(snapshot_directory& dir,
                                                       const scan_runs& scan,
                                                       const merge_input& input) {
  return merge_onto(dir, scan_base(scan), input);
}

}  // namespace banlist::service
