#include "banlist/sdk/replica_set.hpp"

#include <algorithm>

#include "banlist/bloom/set_digest.hpp"

namespace banlist::sdk {
namespace {

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

}  // namespace

std::expected<replica_set, std::error_code> replica_set::from_snapshot(const snapshot& snap) {
  if (snap.kind != snapshot_kind::fps)
    return fail(wire_errc::bad_kind);
  replica_set replica(snap.epoch);
  replica.seq_ = snap.seq;
  replica.entries_.reserve(snap.entries.size());
  bloom::set_digest digest;
  for (const snapshot_entry& e : snap.entries) {
    if (!replica.entries_.emplace(e.fp, entry{e.type, e.reason}).second)
      return fail(wire_errc::duplicate_entry);
    digest.toggle(e.fp);
  }
  // A hand-built snapshot did not go through decode_snapshot's checks.
  if (snap.count != snap.entries.size())
    return fail(wire_errc::count_mismatch);
  if (digest.value != snap.digest)
    return fail(wire_errc::digest_mismatch);
  replica.digest_ = digest.value;
  return replica;
}

std::expected<void, std::error_code> replica_set::apply(const delta_batch& batch) {
  if (auto ok = validate(batch); !ok)
    return ok;
  if (batch.epoch != epoch_)
    return fail(wire_errc::epoch_mismatch);
  if (batch.from != seq_)
    return fail(wire_errc::seq_gap);

  // Apply in place, logging what each step replaced, and undo in reverse on
  // the first failure: O(batch) either way, where copying would be O(list).
  struct undo {
    change_op op;
    fingerprint fp;
    entry previous;  // for a lift: the entry it removed
  };
  std::vector<undo> log;
  log.reserve(batch.changes.size());
  bloom::set_digest digest{digest_};
  std::error_code error;
  for (const delta_change& c : batch.changes) {
    if (c.op == change_op::ban) {
      // validate() proved the reason code is a ban_reason.
      const entry added{c.type, static_cast<ban_reason>(c.reason)};
      if (!entries_.emplace(c.fp, added).second) {
        error = make_error_code(wire_errc::already_banned);
        break;
      }
      log.push_back({c.op, c.fp, {}});
    } else {
      auto it = entries_.find(c.fp);
      if (it == entries_.end()) {
        error = make_error_code(wire_errc::not_banned);
        break;
      }
      log.push_back({c.op, c.fp, it->second});
      entries_.erase(it);
    }
    digest.toggle(c.fp);
  }
  if (!error && digest.value != batch.digest)
    error = make_error_code(wire_errc::digest_mismatch);
  if (error) {
    for (auto it = log.rbegin(); it != log.rend(); ++it) {
      if (it->op == change_op::ban)
        entries_.erase(it->fp);
      else
        entries_.emplace(it->fp, it->previous);
    }
    return std::unexpected(error);
  }
  seq_ = batch.to;
  digest_ = digest.value;
  return {};
}

const replica_set::entry* replica_set::find(const fingerprint& fp) const noexcept {
  auto it = entries_.find(fp);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<snapshot_entry> replica_set::sorted_entries() const {
  std::vector<snapshot_entry> out;
  out.reserve(entries_.size());
  for (const auto& [fp, e] : entries_)
    out.push_back({fp, e.type, e.reason});
  std::sort(out.begin(), out.end(),
            [](const snapshot_entry& a, const snapshot_entry& b) { return a.fp < b.fp; });
  return out;
}

}  // namespace banlist::sdk
