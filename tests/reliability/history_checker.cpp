#include "history_checker.hpp"

namespace banlist::test {
namespace {

// The states a fingerprint may be in after its operations: bit 0 = absent
// allowed, bit 1 = present allowed. It starts absent (tests use fresh
// fingerprints); an acknowledged op decides the state, an unknown one adds
// its effect as a possibility, a failed one changes nothing.
struct allowed_states {
  bool absent = true;
  bool present = false;
  bool any_ban = false;
  bool acked_ban_last = false;  // the deciding op is an acknowledged ban
  bool ends_unknown = false;
};

template <class Ops>
allowed_states replay(const Ops& ops) {
  allowed_states s;
  for (const auto& o : ops) {
    const bool ban = o.kind == op_kind::ban;
    s.any_ban = s.any_ban || ban;
    if (o.outcome == op_outcome::ok) {
      s.absent = !ban;
      s.present = ban;
      s.acked_ban_last = ban;
      s.ends_unknown = false;
    } else if (o.outcome == op_outcome::unknown) {
      (ban ? s.present : s.absent) = true;
      s.ends_unknown = true;
    }
  }
  return s;
}

}  // namespace

void history_checker::record(const fingerprint& fp, op_kind kind, op_outcome outcome) {
  std::lock_guard lock(mutex_);
  ops_[fp].push_back(op{kind, outcome});
}

verdict history_checker::judge(const std::set<fingerprint>& banned) const {
  std::lock_guard lock(mutex_);
  verdict v;
  auto note = [&v](std::string text) {
    if (v.examples.size() < 10)
      v.examples.push_back(std::move(text));
  };
  for (const auto& [fp, ops] : ops_) {
    for (const auto& o : ops) {
      v.acknowledged += o.outcome == op_outcome::ok;
      v.unknown += o.outcome == op_outcome::unknown;
    }
    const allowed_states s = replay(ops);
    const bool present = banned.contains(fp);
    if (present ? s.present : s.absent) {
      // Landed either way: count the unknown ones that took effect.
      if (s.ends_unknown && present != s.acked_ban_last)
        ++v.unknown_landed;
      continue;
    }
    if (!present && s.acked_ban_last) {
      ++v.lost;
      note("lost acknowledged ban " + fp.to_hex());
    } else if (present && !s.any_ban) {
      ++v.phantom;
      note("banned but never attempted " + fp.to_hex());
    } else {
      ++v.wrong;
      note(std::string(present ? "banned" : "not banned") + " against its history: " + fp.to_hex());
    }
  }
  for (const auto& fp : banned) {
    if (!ops_.contains(fp)) {
      ++v.phantom;
      note("banned but never attempted " + fp.to_hex());
    }
  }
  return v;
}

std::vector<fingerprint> history_checker::attempted() const {
  std::lock_guard lock(mutex_);
  std::vector<fingerprint> out;
  out.reserve(ops_.size());
  for (const auto& [fp, ops] : ops_)
    out.push_back(fp);
  return out;
}

std::set<fingerprint> history_checker::must_be_banned() const {
  std::lock_guard lock(mutex_);
  std::set<fingerprint> out;
  for (const auto& [fp, ops] : ops_) {
    const allowed_states s = replay(ops);
    if (s.acked_ban_last && !s.absent)
      out.insert(fp);
  }
  return out;
}

}  // namespace banlist::test
