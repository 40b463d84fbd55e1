// Generators shared by the wire codec tests: random but valid delta batches
// and snapshot entries from a fixed-seed engine, and a model of the list that
// produces consistent ban/lift histories with their digests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/delta.hpp"
#include "banlist/sdk/snapshot.hpp"

namespace wire_test {

using namespace banlist;
using namespace banlist::sdk;

inline constexpr identifier_type kTypes[] = {identifier_type::phone,   identifier_type::email,
                                             identifier_type::id_card, identifier_type::bank_card,
                                             identifier_type::device,  identifier_type::account,
                                             identifier_type::domain,  identifier_type::app};
inline constexpr ban_reason kBanReasons[] = {ban_reason::telecom_fraud,
                                             ban_reason::phishing,
                                             ban_reason::fake_shop,
                                             ban_reason::loan_fraud,
                                             ban_reason::investment_fraud,
                                             ban_reason::impersonation,
                                             ban_reason::romance_scam,
                                             ban_reason::task_scam,
                                             ban_reason::dispute_fraud,
                                             ban_reason::money_mule,
                                             ban_reason::account_trading,
                                             ban_reason::gambling,
                                             ban_reason::malware,
                                             ban_reason::spam,
                                             ban_reason::other};
inline constexpr lift_reason kLiftReasons[] = {lift_reason::appeal_granted, lift_reason::mistake,
                                               lift_reason::expired, lift_reason::reassigned,
                                               lift_reason::other};

template <typename T, std::size_t N>
T pick(std::mt19937_64& rng, const T (&values)[N]) {
  return values[rng() % N];
}

inline fingerprint random_fp(std::mt19937_64& rng) {
  return {rng(), rng()};
}

inline std::uint8_t random_reason(std::mt19937_64& rng, change_op op) {
  return op == change_op::ban ? static_cast<std::uint8_t>(pick(rng, kBanReasons))
                              : static_cast<std::uint8_t>(pick(rng, kLiftReasons));
}

// A valid batch of n changes after `from` (seqs with random gaps), with
// random field values in range. The digest is random: codec tests only.
inline delta_batch random_batch(std::mt19937_64& rng, std::size_t n, std::uint64_t from) {
  delta_batch b;
  b.epoch = rng();
  b.from = from;
  std::uint64_t seq = from;
  for (std::size_t i = 0; i < n; ++i) {
    delta_change c;
    seq += 1 + rng() % 3;
    c.seq = seq;
    c.op = rng() % 3 == 0 ? change_op::lift : change_op::ban;
    c.fp = random_fp(rng);
    c.type = pick(rng, kTypes);
    c.reason = random_reason(rng, c.op);
    c.at_ms = static_cast<std::int64_t>(1'700'000'000'000 + rng() % 100'000'000'000);
    b.changes.push_back(c);
  }
  b.to = seq + (n == 0 ? rng() % 2 : 0);
  b.more = rng() % 2 == 0;
  b.head = b.to + (b.more ? 1 + rng() % 1000 : 0);
  b.digest = random_fp(rng);
  b.min_wait_s = static_cast<std::uint32_t>(rng() % 61);
  return b;
}

// Ascending, distinct entries.
inline std::vector<snapshot_entry> random_entries(std::mt19937_64& rng, std::size_t n) {
  std::vector<snapshot_entry> entries;
  entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    entries.push_back({random_fp(rng), pick(rng, kTypes), pick(rng, kBanReasons)});
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.fp < b.fp; });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const auto& a, const auto& b) { return a.fp == b.fp; }),
                entries.end());
  return entries;
}

// The server's side of a history: the set, the seq and the digest, and
// consistent batches of random bans (of absent fps) and lifts (of present ones).
class list_model {
 public:
  explicit list_model(std::uint64_t epoch) : epoch_(epoch) {}

  delta_batch next_batch(std::mt19937_64& rng, std::size_t n) {
    delta_batch b;
    b.epoch = epoch_;
    b.from = seq_;
    for (std::size_t i = 0; i < n; ++i) {
      delta_change c;
      c.seq = ++seq_;
      // Lift more often as the 256-fp space fills, so a free fp always exists.
      const bool lift = !set_.empty() && (set_.size() >= 192 || rng() % 3 == 0);
      if (lift) {
        auto it = set_.begin();
        std::advance(it, static_cast<long>(rng() % std::min<std::size_t>(set_.size(), 16)));
        c.op = change_op::lift;
        c.fp = it->first;
        c.type = it->second.type;
        c.reason = random_reason(rng, c.op);
        set_.erase(it);
      } else {
        c.op = change_op::ban;
        // A small fp space makes re-bans of lifted fps common.
        do {
          c.fp = {rng() % 64, rng() % 4};
        } while (set_.count(c.fp) != 0);
        c.type = pick(rng, kTypes);
        c.reason = random_reason(rng, c.op);
        set_[c.fp] = {c.fp, c.type, static_cast<ban_reason>(c.reason)};
      }
      c.at_ms = static_cast<std::int64_t>(1'700'000'000'000 + c.seq);
      digest_.toggle(c.fp);
      b.changes.push_back(c);
    }
    b.to = seq_;
    b.head = seq_;
    b.digest = digest_.value;
    return b;
  }

  std::vector<snapshot_entry> entries() const {
    std::vector<snapshot_entry> out;
    for (const auto& [fp, e] : set_)
      out.push_back(e);
    return out;  // std::map: already ascending
  }
  fingerprint digest() const { return digest_.value; }
  std::uint64_t seq() const { return seq_; }

 private:
  std::uint64_t epoch_;
  std::uint64_t seq_ = 0;
  bloom::set_digest digest_;
  std::map<fingerprint, snapshot_entry> set_;
};

// The batch of docs/protocol.md (section 3)'s test vectors.
inline delta_batch vector_batch() {
  delta_batch b;
  b.epoch = 0x0123456789abcdefULL;
  b.from = 41;
  b.to = 43;
  b.head = 50;
  b.more = true;
  b.digest = *fingerprint::from_hex("00112233445566778899aabbccddeeff");
  b.min_wait_s = 5;
  b.changes.push_back(
      {42, change_op::ban, *fingerprint::from_hex("0123456789abcdeffedcba9876543210"),
       identifier_type::phone, std::uint8_t(ban_reason::telecom_fraud), 1700000000000});
  b.changes.push_back(
      {43, change_op::lift, *fingerprint::from_hex("ffffffffffffffff0000000000000001"),
       identifier_type::email, std::uint8_t(lift_reason::appeal_granted), 1700000001000});
  return b;
}

inline std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace wire_test
