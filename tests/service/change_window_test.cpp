// change_window: the in-memory run of recent changes GET /v1/deltas pages
// from. Contiguity, wrap-around, epochs, the digest at `to`, and what it
// refuses (so the poll falls back to Redis).
#include <catch2/catch.hpp>

#include "banlist/sdk/reason.hpp"
#include "deltas/change_window.hpp"

using namespace banlist;
using namespace banlist::service;

namespace {

change make_change(std::uint64_t seq) {
  change c;
  c.seq = seq;
  c.op = seq % 3 == 0 ? change_op::lift : change_op::ban;
  c.fp = fingerprint{seq * 0x9e3779b97f4a7c15ULL, ~seq};
  c.type = sdk::identifier_type::email;
  c.reason = c.op == change_op::ban ? "phishing" : "appeal_granted";
  c.at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  c.digest = fingerprint{seq, seq * 7};
  return c;
}

std::vector<change> run(std::uint64_t first, std::uint64_t last) {
  std::vector<change> out;
  for (std::uint64_t s = first; s <= last; ++s)
    out.push_back(make_change(s));
  return out;
}

}  // namespace

TEST_CASE("change_window pages a contiguous run with the digest at `to`", "[deltas][window]") {
  change_window w(100);
  w.append(7, run(1, 10));
  w.append(7, run(11, 20));
  CHECK(w.first_seq() == 1);
  CHECK(w.last_seq() == 20);

  auto page = w.read(7, 4, 5, 9);
  REQUIRE(page);
  CHECK(page->epoch == 7);
  CHECK(page->from == 4);
  CHECK(page->to == 9);
  CHECK(page->head == 20);
  CHECK(page->more);
  CHECK(page->min_wait_s == 0);
  CHECK(page->digest == make_change(9).digest);
  REQUIRE(page->changes.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    const change expected = make_change(5 + i);
    CHECK(page->changes[i].seq == expected.seq);
    CHECK(page->changes[i].fp == expected.fp);
    CHECK(page->changes[i].at_ms == expected.at_ms);
    CHECK((page->changes[i].op == sdk::change_op::lift) == (expected.op == change_op::lift));
  }
  CHECK(page->changes[0].reason == static_cast<std::uint8_t>(sdk::ban_reason::phishing));

  auto tail = w.read(7, 15, 1000, 9);
  REQUIRE(tail);
  CHECK(tail->to == 20);
  CHECK_FALSE(tail->more);
  CHECK(tail->min_wait_s == 9);
  CHECK(tail->changes.size() == 5);

  // From before the first change: since = first - 1 is servable, earlier is not.
  CHECK(w.read(7, 0, 3, 9));
}

TEST_CASE("change_window refuses what it cannot answer whole", "[deltas][window]") {
  change_window w(100);
  CHECK_FALSE(w.read(1, 0, 10, 5));  // empty
  w.append(1, run(50, 60));
  CHECK_FALSE(w.read(1, 48, 10, 5));  // seq 49 is not held
  CHECK(w.read(1, 49, 10, 5));
  CHECK_FALSE(w.read(1, 60, 10, 5));  // up to date: Redis answers (head, digest)
  CHECK_FALSE(w.read(1, 61, 10, 5));  // ahead
  CHECK_FALSE(w.read(2, 55, 10, 5));  // another epoch
  CHECK_FALSE(w.read(1, 55, 0, 5));   // no page size

  // A gap starts the window over at the new run.
  w.append(1, run(70, 72));
  CHECK(w.first_seq() == 70);
  CHECK_FALSE(w.read(1, 59, 10, 5));
  CHECK(w.read(1, 69, 10, 5));
  // So does another epoch (a rebuilt list), even with continuing seqs.
  w.append(2, run(73, 74));
  CHECK_FALSE(w.read(1, 72, 10, 5));
  REQUIRE(w.read(2, 72, 10, 5));
  CHECK(w.read(2, 72, 10, 5)->changes.size() == 2);

  w.clear();
  CHECK_FALSE(w.read(2, 72, 10, 5));
}

TEST_CASE("change_window keeps the newest `capacity` changes", "[deltas][window]") {
  change_window w(16);
  w.append(3, run(1, 40));
  CHECK(w.first_seq() == 25);
  CHECK(w.last_seq() == 40);
  CHECK_FALSE(w.read(3, 23, 5, 1));
  auto page = w.read(3, 24, 100, 1);
  REQUIRE(page);
  REQUIRE(page->changes.size() == 16);
  for (std::size_t i = 0; i < 16; ++i)
    CHECK(page->changes[i].seq == 25 + i);
  CHECK(page->digest == make_change(40).digest);
}

TEST_CASE("change_window: a change the wire cannot carry splits the window", "[deltas][window]") {
  change_window w(100);
  auto changes = run(1, 10);
  changes[4].reason = "not-a-reason";  // seq 5
  w.append(1, changes);
  CHECK(w.first_seq() == 6);
  CHECK_FALSE(w.read(1, 3, 5, 1));  // would span seq 5: Redis reports it
  CHECK(w.read(1, 5, 5, 1));
}

TEST_CASE("change_window of capacity 0 is disabled", "[deltas][window]") {
  change_window w(0);
  w.append(1, run(1, 5));
  CHECK_FALSE(w.read(1, 0, 5, 1));
}
