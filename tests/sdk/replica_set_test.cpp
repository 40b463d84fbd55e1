// replica_set::apply: random histories applied in batches end with exactly
// the model's set and digest; each protocol violation is refused and leaves
// the replica exactly as it was.
#include <catch2/catch.hpp>

#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "wire_test_support.hpp"

namespace {

using namespace wire_test;

constexpr std::uint64_t kEpoch = 0xfeedULL;

// Everything observable about a replica, to prove a refused batch changed nothing.
struct observed {
  std::uint64_t seq;
  fingerprint digest;
  std::vector<snapshot_entry> entries;
  friend bool operator==(const observed&, const observed&) = default;
};

observed observe(const replica_set& r) {
  return {r.seq(), r.digest(), r.sorted_entries()};
}

}  // namespace

TEST_CASE("replica_set: random ban/lift histories converge to the model", "[sdk][wire]") {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    std::mt19937_64 rng(seed);
    list_model model(kEpoch);
    replica_set replica(kEpoch);
    for (int round = 0; round < 200; ++round) {
      const delta_batch b = model.next_batch(rng, rng() % 12);
      REQUIRE(replica.apply(b));
      REQUIRE(replica.seq() == model.seq());
    }
    CHECK(replica.digest() == model.digest());
    CHECK(replica.sorted_entries() == model.entries());
    CHECK(replica.size() == model.entries().size());
    for (const auto& e : model.entries()) {
      const auto* found = replica.find(e.fp);
      REQUIRE(found);
      CHECK(found->type == e.type);
      CHECK(found->reason == e.reason);
    }
  }
}

TEST_CASE("replica_set: starts from an exact snapshot and continues", "[sdk][wire]") {
  std::mt19937_64 rng(9);
  list_model model(kEpoch);
  for (int i = 0; i < 20; ++i)
    model.next_batch(rng, 10);
  const auto entries = model.entries();
  auto snap = decode_snapshot(encode_snapshot_fps(kEpoch, model.seq(), model.digest(), 0, entries));
  REQUIRE(snap);
  auto replica = replica_set::from_snapshot(*snap);
  REQUIRE(replica);
  CHECK(replica->seq() == model.seq());
  CHECK(replica->digest() == model.digest());
  for (int i = 0; i < 20; ++i)
    REQUIRE(replica->apply(model.next_batch(rng, 7)));
  CHECK(replica->sorted_entries() == model.entries());
  CHECK(replica->digest() == model.digest());

  snapshot filter_kind;
  filter_kind.kind = snapshot_kind::filter;
  CHECK(replica_set::from_snapshot(filter_kind).error() == wire_errc::bad_kind);
  snapshot lying = std::move(*snap);
  lying.digest.low ^= 1;
  CHECK(replica_set::from_snapshot(lying).error() == wire_errc::digest_mismatch);
  lying.digest.low ^= 1;
  lying.count += 1;
  CHECK(replica_set::from_snapshot(lying).error() == wire_errc::count_mismatch);
  lying.count -= 1;
  lying.entries.push_back(lying.entries.front());
  lying.count += 1;
  CHECK(replica_set::from_snapshot(lying).error() == wire_errc::duplicate_entry);
}

TEST_CASE("replica_set: violations are refused and change nothing", "[sdk][wire]") {
  std::mt19937_64 rng(33);
  list_model model(kEpoch);
  replica_set replica(kEpoch);
  for (int i = 0; i < 10; ++i)
    REQUIRE(replica.apply(model.next_batch(rng, 8)));
  REQUIRE(replica.size() > 2);
  const observed before = observe(replica);

  // A valid next batch that the cases below spoil in one way each.
  list_model fork = model;
  const delta_batch next = fork.next_batch(rng, 6);

  SECTION("gap: batch starts after the replica's seq") {
    list_model ahead = model;
    ahead.next_batch(rng, 3);
    const delta_batch later = ahead.next_batch(rng, 3);
    CHECK(replica.apply(later).error() == wire_errc::seq_gap);
  }
  SECTION("replay: batch starts before the replica's seq") {
    delta_batch old = next;
    old.from -= 1;
    CHECK(replica.apply(old).error() == wire_errc::seq_gap);
  }
  SECTION("other epoch") {
    delta_batch other = next;
    other.epoch = kEpoch + 1;
    CHECK(replica.apply(other).error() == wire_errc::epoch_mismatch);
  }
  SECTION("duplicate ban, after earlier changes of the batch were applied") {
    // An fp still held after `next`: banning it again is a double ban.
    const snapshot_entry still = fork.entries().front();
    delta_batch dup = next;
    delta_change again{
        dup.to + 1, change_op::ban, still.fp, still.type, std::uint8_t(ban_reason::spam), 1};
    dup.changes.push_back(again);
    dup.to = dup.head = again.seq;
    dup.digest.high ^= again.fp.high;  // digest as if it were a toggle: still refused
    dup.digest.low ^= again.fp.low;
    CHECK(replica.apply(dup).error() == wire_errc::already_banned);
  }
  SECTION("lift of an absent fingerprint") {
    delta_batch absent = next;
    const fingerprint never{0xdead, 0xbeef};  // outside the model's fp space
    absent.changes.push_back({absent.to + 1, change_op::lift, never, identifier_type::phone,
                              std::uint8_t(lift_reason::mistake), 1});
    absent.to = absent.head = absent.to + 1;
    absent.digest.high ^= never.high;
    absent.digest.low ^= never.low;
    CHECK(replica.apply(absent).error() == wire_errc::not_banned);
  }
  SECTION("wrong digest") {
    delta_batch wrong = next;
    wrong.digest.low ^= 1;
    CHECK(replica.apply(wrong).error() == wire_errc::digest_mismatch);
  }
  SECTION("malformed batch") {
    delta_batch bad = next;
    bad.changes.back().reason = 200;
    CHECK(replica.apply(bad).error() == wire_errc::bad_value);
  }
  CHECK(observe(replica) == before);
  // And the untouched replica still accepts the real next batch.
  REQUIRE(replica.apply(next));
  CHECK(replica.digest() == fork.digest());
  CHECK(replica.sorted_entries() == fork.entries());
}

TEST_CASE("replica_set: a ban and lift of the same fp inside one refused batch roll back",
          "[sdk][wire]") {
  replica_set replica(kEpoch);
  const fingerprint a{1, 1};
  const fingerprint b{2, 2};
  delta_batch first{
      kEpoch,
      0,
      1,
      1,
      false,
      a,
      0,
      {{1, change_op::ban, a, identifier_type::email, std::uint8_t(ban_reason::phishing), 10}}};
  REQUIRE(replica.apply(first));
  const observed before = observe(replica);
  // lift a, ban b, ban a again, then a wrong digest: all four steps must be undone.
  delta_batch second{
      kEpoch,
      1,
      4,
      4,
      false,
      {7, 7},
      0,
      {{2, change_op::lift, a, identifier_type::email, std::uint8_t(lift_reason::appeal_granted),
        11},
       {3, change_op::ban, b, identifier_type::phone, std::uint8_t(ban_reason::spam), 12},
       {4, change_op::ban, a, identifier_type::email, std::uint8_t(ban_reason::loan_fraud), 13}}};
  CHECK(replica.apply(second).error() == wire_errc::digest_mismatch);
  CHECK(observe(replica) == before);
  CHECK(replica.find(a)->reason == ban_reason::phishing);
  CHECK_FALSE(replica.contains(b));
  second.digest = {a.high ^ b.high, a.low ^ b.low};
  REQUIRE(replica.apply(second));
  CHECK(replica.find(a)->reason == ban_reason::loan_fraud);
  CHECK(replica.contains(b));
  CHECK(replica.seq() == 4);
}
