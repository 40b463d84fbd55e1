#include "deltas/snapshot_builder.hpp"

#include <algorithm>
#include <thread>
#include <unordered_map>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/entry_sort.hpp"

namespace banlist::service {
namespace {

// The codes bl:banned keeps for a ban (store/redis_store.cpp does the same).
banned_entry entry_of(const change& c) {
  const auto reason = sdk::parse_reason(c.reason).value_or(sdk::ban_reason::other);
  return banned_entry{c.fp, static_cast<std::uint8_t>(c.type), static_cast<std::uint8_t>(reason)};
}

// Sorts the scan (unless sorted) and applies the replay to it: lifted
// entries get type 0 (skipped later), re-banned ones their new codes.
// Returns the bans that are not in the scan, ascending.
std::vector<banned_entry> apply_replay(snapshot_input& input) {
  std::vector<banned_entry>& entries = input.scanned;
  if (!input.scanned_sorted)
    sort_by_fingerprint(entries);
  // The last change of each fingerprint decides its state at `seq`: the scan
  // may or may not have seen it, so it is applied as an assignment.
  std::unordered_map<fingerprint, const change*> last;
  for (const auto& c : input.replay)
    last[c.fp] = &c;
  std::vector<banned_entry> added;
  for (const auto& [fp, c] : last) {
    auto it = std::lower_bound(
        entries.begin(), entries.end(), fp,
        [](const banned_entry& e, const fingerprint& key) { return fp_less(e.fp, key); });
    const bool present = it != entries.end() && it->fp == fp;
    if (c->op == change_op::ban) {
      if (present) {
        *it = entry_of(*c);
      } else {
        added.push_back(entry_of(*c));
      }
    } else if (present) {
      it->type = 0;  // lifted: skipped by the merge below
    }
  }
  std::sort(added.begin(), added.end(),
            [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
  return added;
}

}  // namespace

std::expected<built_snapshot, std::string> build_snapshot(snapshot_input input) {
  std::vector<banned_entry>& entries = input.scanned;
  const std::vector<banned_entry> added = apply_replay(input);

  // One pass merges the list with the added bans into both the wire entries
  // and the filter's input, checking codes and order, and computing the digest.
  std::vector<sdk::snapshot_entry> wire;
  std::vector<fingerprint> fps;
  wire.reserve(entries.size() + added.size());
  fps.reserve(entries.size() + added.size());
  fingerprint digest;
  const char* problem = nullptr;
  auto emit = [&](const banned_entry& e) {
    const auto type = sdk::identifier_type_from_code(e.type);
    const auto reason = sdk::ban_reason_from_code(e.reason);
    if (!type || !reason) {
      problem = "bl:banned holds an unknown type or reason code";
    } else if (!wire.empty() && !fp_less(wire.back().fp, e.fp)) {
      problem = "a fingerprint appears twice";
    }
    wire.push_back(sdk::snapshot_entry{e.fp, type.value_or(sdk::identifier_type::phone),
                                       reason.value_or(sdk::ban_reason::other)});
    fps.push_back(e.fp);
    digest.high ^= e.fp.high;
    digest.low ^= e.fp.low;
  };
  std::size_t next_added = 0;
  for (const auto& e : entries) {
    if (e.type == 0)
      continue;
    while (next_added < added.size() && fp_less(added[next_added].fp, e.fp))
      emit(added[next_added++]);
    emit(e);
  }
  while (next_added < added.size())
    emit(added[next_added++]);
  if (problem)
    return std::unexpected(problem);
  if (digest != input.digest) {
    return std::unexpected("the set at seq " + std::to_string(input.seq) +
                           " does not match its digest");
  }
  built_snapshot out;
  // The filter container and the fps container are independent: build the
  // filter on a second thread while this one encodes the exact list.
  std::expected<std::vector<std::uint8_t>, std::string> filter_body;
  {
    std::jthread filter_thread([&] {
      auto filter = bloom::filter::with_items(fps, std::max<std::uint64_t>(fps.size(), 1),
                                              input.fp_rate, input.seed);
      if (!filter) {
        filter_body = std::unexpected("cannot size the filter: " + filter.error().message());
        return;
      }
      filter_body = sdk::encode_snapshot_filter(input.epoch, input.seq, digest, *filter);
    });
    out.fps_body = sdk::encode_snapshot_fps(input.epoch, input.seq, digest, input.seed, wire);
  }
  if (!filter_body)
    return std::unexpected(filter_body.error());
  out.filter_body = std::move(*filter_body);
  out.epoch = input.epoch;
  out.seq = input.seq;
  out.digest = digest;
  out.count = wire.size();
  return out;
}

std::expected<std::vector<banned_entry>, std::string> entries_of(const built_snapshot& built) {
  auto decoded = sdk::decode_snapshot(built.fps_body);
  if (!decoded)
    return std::unexpected("the previous snapshot does not decode: " + decoded.error().message());
  std::vector<banned_entry> entries;
  entries.reserve(decoded->entries.size());
  for (const auto& e : decoded->entries) {
    entries.push_back(
        banned_entry{e.fp, static_cast<std::uint8_t>(e.type), static_cast<std::uint8_t>(e.reason)});
  }
  return entries;
}

}  // namespace banlist::service
