#include "deltas/snapshot_builder.hpp"

#include <algorithm>
#include <unordered_map>

#include "banlist/bloom/filter.hpp"
#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace banlist::service {
namespace {

bool fp_less(const fingerprint& a, const fingerprint& b) noexcept {
  return a.high != b.high ? a.high < b.high : a.low < b.low;
}

// The codes bl:banned keeps for a ban (store/redis_store.cpp does the same).
banned_entry entry_of(const change& c) {
  const auto reason = sdk::parse_reason(c.reason).value_or(sdk::ban_reason::other);
  return banned_entry{c.fp, static_cast<std::uint8_t>(c.type), static_cast<std::uint8_t>(reason)};
}

}  // namespace

std::expected<built_snapshot, std::string> build_snapshot(snapshot_input input) {
  std::vector<banned_entry>& entries = input.scanned;
  std::sort(entries.begin(), entries.end(),
            [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
  // The last change of each fingerprint decides its state at `seq`: the scan
  // may or may not have seen it, so it is applied as an assignment.
  std::unordered_map<fingerprint, const change*> last;
  for (const auto& c : input.replay)
    last[c.fp] = &c;
  std::vector<banned_entry> added;
  bool removed_any = false;
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
      it->type = 0;  // marks it for removal below
      removed_any = true;
    }
  }
  if (removed_any) {
    std::erase_if(entries, [](const banned_entry& e) { return e.type == 0; });
  }
  if (!added.empty()) {
    std::sort(added.begin(), added.end(),
              [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
    const auto middle = static_cast<std::ptrdiff_t>(entries.size());
    entries.insert(entries.end(), added.begin(), added.end());
    std::inplace_merge(
        entries.begin(), entries.begin() + middle, entries.end(),
        [](const banned_entry& a, const banned_entry& b) { return fp_less(a.fp, b.fp); });
  }

  std::vector<sdk::snapshot_entry> wire;
  std::vector<fingerprint> fps;
  wire.reserve(entries.size());
  fps.reserve(entries.size());
  fingerprint digest;
  for (const auto& e : entries) {
    const auto type = sdk::identifier_type_from_code(e.type);
    const auto reason = sdk::ban_reason_from_code(e.reason);
    if (!type || !reason)
      return std::unexpected("bl:banned holds an unknown type or reason code");
    if (!wire.empty() && wire.back().fp == e.fp)
      return std::unexpected("a fingerprint appears twice");
    wire.push_back(sdk::snapshot_entry{e.fp, *type, *reason});
    fps.push_back(e.fp);
    digest.high ^= e.fp.high;
    digest.low ^= e.fp.low;
  }
  if (digest != input.digest) {
    return std::unexpected("the set at seq " + std::to_string(input.seq) +
                           " does not match its digest");
  }
  auto filter = bloom::filter::with_items(fps, std::max<std::uint64_t>(fps.size(), 1),
                                          input.fp_rate, input.seed);
  if (!filter)
    return std::unexpected("cannot size the filter: " + filter.error().message());

  built_snapshot out;
  out.epoch = input.epoch;
  out.seq = input.seq;
  out.digest = digest;
  out.count = wire.size();
  const auto filter_bytes = sdk::encode_snapshot_filter(input.epoch, input.seq, digest, *filter);
  out.filter_body.assign(reinterpret_cast<const char*>(filter_bytes.data()), filter_bytes.size());
  const auto fps_bytes = sdk::encode_snapshot_fps(input.epoch, input.seq, digest, input.seed, wire);
  out.fps_body.assign(reinterpret_cast<const char*>(fps_bytes.data()), fps_bytes.size());
  return out;
}

}  // namespace banlist::service
