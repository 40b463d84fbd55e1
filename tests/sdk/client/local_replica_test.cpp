#include "banlist/sdk/client_replica.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>

#include "banlist/sdk/wire_errors.hpp"
#include "history.hpp"

using namespace banlist;
using namespace banlist::sdk;
using banlist::test::history;

namespace {

// Every member of the model answers banned with its type and reason, and
// `probes` random fingerprints answer not_banned (replica mode: exact).
void expect_exact(const local_replica& r, const history& h, std::size_t probes = 2000) {
  const auto st = r.status();
  REQUIRE(st.seq == h.seq());
  REQUIRE(st.digest == h.digest());
  REQUIRE(st.count == h.list().size());
  for (const auto& [fp, e] : h.list()) {
    const auto got = r.check(fp);
    REQUIRE(got.verdict == check_verdict::banned);
    REQUIRE(got.type == e.type);
    REQUIRE(got.reason == e.reason);
  }
  std::mt19937_64 rng(99);
  for (std::size_t i = 0; i < probes; ++i)
    REQUIRE(r.check(fingerprint{rng(), rng()}).verdict == check_verdict::not_banned);
}

}  // namespace

TEST_CASE("replica mode: before a snapshot every answer is unknown", "[sdk][client]") {
  local_replica r(client_mode::replica);
  CHECK(r.check(fingerprint{1, 2}).verdict == check_verdict::unknown);
  const auto by_value = r.check(identifier_type::phone, "13800138000");
  REQUIRE(by_value);
  CHECK(by_value->verdict == check_verdict::unknown);
  CHECK_FALSE(r.status().loaded);
  history h(1);
  auto batch = h.random_batch(3);
  CHECK(r.apply(batch).error() == std::errc::operation_not_permitted);
}

TEST_CASE("replica mode follows a random history exactly", "[sdk][client]") {
  history h(2);
  h.seed_list(5000);
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(h.exact_snapshot()));
  expect_exact(r, h);
  for (int i = 0; i < 60; ++i) {
    auto batch = h.random_batch(1 + h.rng()() % 700, 0.45);
    REQUIRE(r.apply(batch));
  }
  expect_exact(r, h);
  const auto st = r.status();
  CHECK(st.snapshot_seq == 5000);
  CHECK(st.lag == 0);
  CHECK(st.memory_bytes < 24 * h.list().size());
}

TEST_CASE("replica mode: bad batches are refused and change nothing", "[sdk][client]") {
  history h(3);
  h.seed_list(100);
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(h.exact_snapshot()));
  const auto before = r.status();
  const fingerprint member = h.list().begin()->first;

  SECTION("another epoch") {
    auto b = h.random_batch(5);
    b.epoch ^= 1;
    CHECK(r.apply(b).error() == wire_errc::epoch_mismatch);
  }
  SECTION("a gap") {
    (void)h.random_batch(2);
    auto b = h.random_batch(5);
    CHECK(r.apply(b).error() == wire_errc::seq_gap);
  }
  SECTION("a ban of a banned fingerprint, after valid changes in the same batch") {
    sdk::delta_batch b;
    b.from = h.seq();
    b.changes.push_back(h.ban(h.random_fp()));
    b.changes.push_back(h.ban(member));  // the model does not know it is a repeat
    b = h.seal(std::move(b));
    CHECK(r.apply(b).error() == wire_errc::already_banned);
  }
  SECTION("a lift of a fingerprint that is not banned") {
    sdk::delta_batch b;
    b.from = h.seq();
    const fingerprint stranger = h.random_fp();
    b.changes.push_back(h.ban(stranger));
    b.changes.push_back(h.lift(stranger));
    b = h.seal(std::move(b));
    // A second lift of the same fingerprint (the model would refuse to make it).
    b.changes.push_back({b.to + 1, change_op::lift, stranger, identifier_type::phone, 1, 0});
    b.to = b.head = b.to + 1;
    CHECK(r.apply(b).error() == wire_errc::not_banned);
  }
  SECTION("a digest that does not match") {
    auto b = h.random_batch(20);
    b.digest.low ^= 1;
    CHECK(r.apply(b).error() == wire_errc::digest_mismatch);
  }
  SECTION("a malformed batch") {
    auto b = h.random_batch(3);
    b.changes[1].seq = b.changes[0].seq;
    CHECK(r.apply(b).error() == wire_errc::bad_sequence);
  }
  const auto after = r.status();
  CHECK(after.seq == before.seq);
  CHECK(after.digest == before.digest);
  CHECK(after.count == before.count);
  CHECK(r.check(member).verdict == check_verdict::banned);
}

TEST_CASE("a lift stops matching as soon as its batch is applied", "[sdk][client]") {
  for (client_mode mode : {client_mode::replica, client_mode::filter}) {
    history h(4);
    h.seed_list(1000);
    local_replica r(mode);
    REQUIRE(
        r.load_snapshot(mode == client_mode::replica ? h.exact_snapshot() : h.filter_snapshot()));
    const fingerprint victim = std::next(h.list().begin(), 500)->first;
    CHECK(r.check(victim).verdict ==
          (mode == client_mode::replica ? check_verdict::banned : check_verdict::maybe));
    sdk::delta_batch b;
    b.from = h.seq();
    b.changes.push_back(h.lift(victim));
    REQUIRE(r.apply(h.seal(std::move(b))));
    CHECK(r.check(victim).verdict == check_verdict::not_banned);
    // Banned again: matches again, now exactly (with its reason) in both modes.
    sdk::delta_batch again;
    again.from = h.seq();
    again.changes.push_back(h.ban(victim, identifier_type::email, ban_reason::phishing));
    REQUIRE(r.apply(h.seal(std::move(again))));
    const auto got = r.check(victim);
    CHECK(got.verdict == check_verdict::banned);
    CHECK(got.reason == ban_reason::phishing);
    CHECK(got.type == identifier_type::email);
  }
}

TEST_CASE("filter mode: hits are maybe, new bans exact, misses not_banned", "[sdk][client]") {
  history h(5);
  h.seed_list(20000);
  local_replica r(client_mode::filter);
  REQUIRE(r.load_snapshot(h.filter_snapshot()));
  for (const auto& [fp, e] : h.list())
    REQUIRE(r.check(fp).verdict == check_verdict::maybe);  // no false negatives
  std::mt19937_64 rng(7);
  std::size_t false_positives = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto v = r.check(fingerprint{rng(), rng()}).verdict;
    REQUIRE(v != check_verdict::banned);
    false_positives += v == check_verdict::maybe;
  }
  CHECK(false_positives < 300);  // design rate 0.1%: 100 expected

  // Changes since the snapshot: bans exact, lifts honoured.
  std::vector<fingerprint> fresh;
  for (int i = 0; i < 20; ++i) {
    auto b = h.random_batch(200, 0.4);
    for (const auto& c : b.changes)
      if (c.op == change_op::ban)
        fresh.push_back(c.fp);
    REQUIRE(r.apply(b));
  }
  for (const fingerprint& fp : fresh) {
    const auto got = r.check(fp);
    if (h.list().contains(fp)) {
      REQUIRE(got.verdict == check_verdict::banned);
      REQUIRE(got.reason == h.list().at(fp).reason);
    } else {
      REQUIRE(got.verdict == check_verdict::not_banned);
    }
  }
  const auto st = r.status();
  CHECK(st.digest == h.digest());
  CHECK(st.seq == h.seq());
  CHECK(st.changes_since_snapshot == 4000);
  // Filter mode refuses an exact snapshot and vice versa.
  CHECK(r.load_snapshot(h.exact_snapshot()).error() == wire_errc::bad_kind);
  local_replica exact(client_mode::replica);
  CHECK(exact.load_snapshot(h.filter_snapshot()).error() == wire_errc::bad_kind);
}

TEST_CASE("filter mode: a lift of a fingerprint the filter rules out is refused", "[sdk][client]") {
  history h(6);
  h.seed_list(100);
  local_replica r(client_mode::filter);
  REQUIRE(r.load_snapshot(h.filter_snapshot()));
  // Find a fingerprint the filter certainly does not hold.
  fingerprint outsider = h.random_fp();
  while (r.check(outsider).verdict != check_verdict::not_banned)
    outsider = h.random_fp();
  sdk::delta_batch b;
  b.epoch = h.epoch();
  b.from = h.seq();
  b.to = h.seq() + 1;
  b.head = b.to;
  b.changes.push_back({b.to, change_op::lift, outsider, identifier_type::phone, 1, 0});
  b.digest = h.digest();
  b.digest.high ^= outsider.high;
  b.digest.low ^= outsider.low;
  CHECK(r.apply(b).error() == wire_errc::not_banned);
}

TEST_CASE("check by value uses the snapshot's seed", "[sdk][client]") {
  history h(7);
  const auto normalized = normalize(identifier_type::phone, "138 0013 8000");
  REQUIRE(normalized);
  const fingerprint fp = fingerprint_of(identifier_type::phone, *normalized, h.fp_seed());
  sdk::delta_batch b;
  b.from = 0;
  b.changes.push_back(h.ban(fp, identifier_type::phone, ban_reason::telecom_fraud));
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(history(8, h.epoch()).exact_snapshot()));  // empty list, same epoch
  REQUIRE(r.apply(h.seal(std::move(b))));
  auto got = r.check(identifier_type::phone, "+86 138-0013-8000");
  REQUIRE(got);
  CHECK(got->verdict == check_verdict::banned);
  CHECK(got->fp == fp);
  CHECK(got->reason == ban_reason::telecom_fraud);
  auto other = r.check(identifier_type::phone, "13800138001");
  REQUIRE(other);
  CHECK(other->verdict == check_verdict::not_banned);
  auto bad = r.check(identifier_type::email, "not an address");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().rule == "at_sign");
}

TEST_CASE("the change callback sees every applied change in order", "[sdk][client]") {
  history h(9);
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(h.exact_snapshot()));
  std::vector<std::uint64_t> seen;
  r.set_change_callback([&](const delta_change& c) { seen.push_back(c.seq); });
  auto b1 = h.random_batch(10);
  auto b2 = h.random_batch(5);
  REQUIRE(r.apply(b1));
  auto bad = b2;
  bad.digest.high ^= 2;
  REQUIRE_FALSE(r.apply(bad));  // refused (digest): no callback
  REQUIRE(r.apply(b2));
  REQUIRE(seen.size() == 15);
  for (std::size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == i + 1);
}

TEST_CASE("checks from several threads while batches are applied", "[sdk][client][threads]") {
  // Fingerprints that are banned for the whole run must always answer banned;
  // ones that are never banned must always answer not_banned; a flapping one
  // may answer either. Catches torn reads and lost entries during rebuilds.
  history h(10);
  h.seed_list(2000);
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(h.exact_snapshot()));
  std::vector<fingerprint> stable;
  for (const auto& [fp, e] : h.list())
    stable.push_back(fp);
  std::vector<fingerprint> never;
  for (int i = 0; i < 1000; ++i)
    never.push_back(h.random_fp());

  std::atomic<bool> done{false};
  std::atomic<std::size_t> errors{0};
  std::atomic<std::size_t> checks{0};
  auto reader = [&] {
    std::size_t i = 0;
    while (!done.load(std::memory_order_relaxed)) {
      if (r.check(stable[i % stable.size()]).verdict != check_verdict::banned)
        ++errors;
      if (r.check(never[i % never.size()]).verdict != check_verdict::not_banned)
        ++errors;
      ++i;
    }
    checks += i;
  };
  std::thread t1(reader), t2(reader);
  // Writer: bans and lifts only fingerprints outside `stable` (lift_share
  // picks from the whole list, so build batches by hand).
  std::vector<fingerprint> flapping;
  for (int round = 0; round < 200; ++round) {
    sdk::delta_batch b;
    b.from = h.seq();
    for (int i = 0; i < 300; ++i) {
      if (!flapping.empty() && h.rng()() % 2 == 0) {
        b.changes.push_back(h.lift(flapping.back()));
        flapping.pop_back();
      } else {
        flapping.push_back(h.random_fp());
        b.changes.push_back(h.ban(flapping.back()));
      }
    }
    REQUIRE(r.apply(h.seal(std::move(b))));
  }
  done = true;
  t1.join();
  t2.join();
  CHECK(errors == 0);
  CHECK(checks > 0);
  expect_exact(r, h, 100);
}

namespace {

// check_many must give, item for item, what check() gives for the same state:
// banned (with type and reason), lifted, never-banned and filter-hit items
// mixed, in batches of every size around the prefetch distance and chunk.
void expect_check_many_equals_check(const local_replica& r, const std::vector<fingerprint>& fps) {
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
        std::size_t{63}, std::size_t{64}, std::size_t{65}, fps.size()}) {
    n = std::min(n, fps.size());
    std::vector<check_result> many(n);
    r.check_many(std::span(fps).first(n), many);
    for (std::size_t i = 0; i < n; ++i) {
      const auto one = r.check(fps[i]);
      REQUIRE(many[i].verdict == one.verdict);
      REQUIRE(many[i].fp == fps[i]);
      REQUIRE(many[i].type == one.type);
      REQUIRE(many[i].reason == one.reason);
      REQUIRE(many[i].seq == one.seq);
    }
  }
}

// Members of the list, lifted fingerprints and random ones, shuffled.
std::vector<fingerprint> mixed_probes(history& h, const std::vector<fingerprint>& lifted) {
  std::vector<fingerprint> fps;
  for (const auto& [fp, e] : h.list())
    fps.push_back(fp);
  fps.insert(fps.end(), lifted.begin(), lifted.end());
  for (int i = 0; i < 3000; ++i)
    fps.push_back(h.random_fp());
  std::shuffle(fps.begin(), fps.end(), h.rng());
  return fps;
}

}  // namespace

TEST_CASE("check_many answers as check does, in both modes", "[sdk][client]") {
  for (const client_mode mode : {client_mode::replica, client_mode::filter}) {
    history h(21);
    h.seed_list(6000);
    local_replica r(mode);
    std::vector<fingerprint> none;
    // Before a snapshot: every item unknown.
    expect_check_many_equals_check(r, mixed_probes(h, none));
    REQUIRE(
        r.load_snapshot(mode == client_mode::replica ? h.exact_snapshot() : h.filter_snapshot()));
    std::vector<fingerprint> lifted;
    for (int i = 0; i < 10; ++i) {
      auto b = h.random_batch(300, 0.4);
      for (const auto& c : b.changes)
        if (c.op == change_op::lift)
          lifted.push_back(c.fp);
      REQUIRE(r.apply(b));
    }
    REQUIRE_FALSE(lifted.empty());
    const auto fps = mixed_probes(h, lifted);
    expect_check_many_equals_check(r, fps);
    // And against the model directly: no banned item answers not_banned.
    std::vector<check_result> out(fps.size());
    r.check_many(fps, out);
    for (std::size_t i = 0; i < fps.size(); ++i) {
      if (h.list().contains(fps[i]))
        REQUIRE(out[i].verdict != check_verdict::not_banned);
    }
  }
}

TEST_CASE("check_many from several threads while batches are applied", "[sdk][client][threads]") {
  history h(22);
  h.seed_list(3000);
  local_replica r(client_mode::replica);
  REQUIRE(r.load_snapshot(h.exact_snapshot()));
  std::vector<fingerprint> stable;
  for (const auto& [fp, e] : h.list())
    stable.push_back(fp);
  std::vector<fingerprint> never;
  for (int i = 0; i < 3000; ++i)
    never.push_back(h.random_fp());

  std::atomic<bool> done{false};
  std::atomic<std::size_t> errors{0};
  std::atomic<std::size_t> batches{0};
  auto reader = [&] {
    std::vector<check_result> out(stable.size());
    while (!done.load(std::memory_order_relaxed)) {
      r.check_many(stable, out);
      for (const auto& c : out)
        errors += c.verdict != check_verdict::banned;
      r.check_many(never, out);
      for (std::size_t i = 0; i < never.size(); ++i)
        errors += out[i].verdict != check_verdict::not_banned;
      ++batches;
    }
  };
  std::thread t1(reader), t2(reader);
  for (int round = 0; round < 200; ++round) {
    sdk::delta_batch b;
    b.from = h.seq();
    for (int i = 0; i < 300; ++i)
      b.changes.push_back(h.ban(h.random_fp()));  // grows the table: rebuilds
    REQUIRE(r.apply(h.seal(std::move(b))));
  }
  done = true;
  t1.join();
  t2.join();
  CHECK(errors == 0);
  CHECK(batches > 0);
}

TEST_CASE("check_many equals check at the seq it reports while batches apply, both modes",
          "[sdk][client][threads]") {
  for (const client_mode mode : {client_mode::replica, client_mode::filter}) {
    history h(mode == client_mode::replica ? 31 : 32);
    h.seed_list(4000);
    auto snapshot = [&] {
      return mode == client_mode::replica ? h.exact_snapshot() : h.filter_snapshot();
    };
    local_replica ref(mode);    // single-threaded reference, answered with check()
    local_replica under(mode);  // read with check_many while a writer applies
    REQUIRE(ref.load_snapshot(snapshot()));
    REQUIRE(under.load_snapshot(snapshot()));

    // Probes: members from the snapshot (some lifted later), fingerprints
    // banned later (some lifted again), strangers.
    std::vector<fingerprint> probes;
    for (const auto& [fp, e] : h.list())
      if (probes.size() < 1000)
        probes.push_back(fp);
    std::vector<fingerprint> future;
    for (int i = 0; i < 1000; ++i)
      future.push_back(h.random_fp());
    probes.insert(probes.end(), future.begin(), future.end());
    for (int i = 0; i < 1000; ++i)
      probes.push_back(h.random_fp());

    // Batches, and check()'s answers for every probe after each of them.
    auto answers = [&] {
      std::vector<check_result> a;
      for (const auto& fp : probes)
        a.push_back(ref.check(fp));
      return a;
    };
    std::map<std::uint64_t, std::vector<check_result>> expected;
    expected[ref.status().seq] = answers();
    std::vector<sdk::delta_batch> batches;
    std::vector<fingerprint> banned_probes(probes.begin(), probes.begin() + 1000);
    std::vector<fingerprint> lifted_probes;
    std::size_t next_future = 0;
    for (int round = 0; round < 80; ++round) {
      sdk::delta_batch b;
      b.from = h.seq();
      for (int i = 0; i < 10 && next_future < future.size(); ++i) {
        b.changes.push_back(
            h.ban(future[next_future], identifier_type::email, ban_reason::phishing));
        banned_probes.push_back(future[next_future++]);
      }
      for (int i = 0; i < 10; ++i) {
        const std::size_t k =
            (static_cast<std::size_t>(round) * 37 + i * 11) % banned_probes.size();
        const fingerprint fp = banned_probes[k];
        banned_probes.erase(banned_probes.begin() + static_cast<std::ptrdiff_t>(k));
        b.changes.push_back(h.lift(fp));
        lifted_probes.push_back(fp);
      }
      if (round % 4 == 3 && lifted_probes.size() > 2) {  // some lifted come back
        const fingerprint fp = lifted_probes[lifted_probes.size() / 2];
        lifted_probes.erase(lifted_probes.begin() +
                            static_cast<std::ptrdiff_t>(lifted_probes.size() / 2));
        b.changes.push_back(h.ban(fp, identifier_type::device, ban_reason::spam));
        banned_probes.push_back(fp);
      }
      batches.push_back(h.seal(std::move(b)));
      REQUIRE(ref.apply(batches.back()));
      expected[ref.status().seq] = answers();
    }
    // Every kind of answer occurs, or the comparison proves little.
    std::set<check_verdict> kinds;
    for (const auto& [seq, a] : expected)
      for (const auto& c : a)
        kinds.insert(c.verdict);
    REQUIRE(kinds.contains(check_verdict::banned));
    REQUIRE(kinds.contains(check_verdict::not_banned));
    if (mode == client_mode::filter)
      REQUIRE(kinds.contains(check_verdict::maybe));

    std::atomic<bool> done{false};
    std::atomic<std::size_t> mismatches{0};
    std::atomic<std::size_t> unknown_seq{0};
    std::atomic<std::size_t> calls{0};
    std::mutex seen_mutex;
    std::set<std::uint64_t> seen;
    auto reader = [&](std::size_t batch) {
      std::vector<check_result> out(batch);
      std::size_t start = 0;
      while (!done.load(std::memory_order_relaxed)) {
        const auto in = std::span(probes).subspan(start, batch);
        under.check_many(in, out);
        const auto it = expected.find(out[0].seq);
        if (it == expected.end()) {
          ++unknown_seq;
        } else {
          for (std::size_t i = 0; i < batch; ++i) {
            const check_result& want = it->second[start + i];
            mismatches += out[i].seq != out[0].seq || out[i].fp != in[i] ||
                          out[i].verdict != want.verdict || out[i].type != want.type ||
                          out[i].reason != want.reason;
          }
          std::lock_guard lock(seen_mutex);
          seen.insert(out[0].seq);
        }
        ++calls;
        start = (start + batch) % (probes.size() - batch);
      }
    };
    // Lets the readers make `n` more calls (or gives up after 10 s), so that
    // they read before, during and after the batches even on a loaded machine.
    auto let_read = [&](std::size_t n) {
      const std::size_t target = calls.load() + n;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (calls.load() < target && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    };
    std::thread t1(reader, 64), t2(reader, 1000);
    let_read(4);
    for (std::size_t k = 0; k < batches.size(); ++k) {
      REQUIRE(under.apply(batches[k]));
      if (k % 20 == 10)
        let_read(4);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    let_read(4);
    done = true;
    t1.join();
    t2.join();
    CHECK(mismatches == 0);
    CHECK(unknown_seq == 0);
    CHECK(seen.size() > 4);  // the readers saw the list change under them
    // And at the end, every probe as check() says.
    std::vector<check_result> out(probes.size());
    under.check_many(probes, out);
    const auto& last = expected.rbegin()->second;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      REQUIRE(out[i].verdict == last[i].verdict);
      REQUIRE(out[i].reason == last[i].reason);
    }
  }
}

// A batch longer than kApplyChunk is applied in several exclusive sections.
// Between two of them a reader must see the server's state at the seq it is
// told, never part of a batch under the previous seq: for every probe, the
// verdict follows the last change to it with a seq at or below the answer's.
// Checked deterministically from the change callback (which runs after each
// chunk, outside the lock) and by two reader threads racing the writer.
TEST_CASE("readers between the chunks of a long batch see the state at the seq they are told",
          "[sdk][client][threads]") {
  for (const client_mode mode : {client_mode::replica, client_mode::filter}) {
    history h(mode == client_mode::replica ? 41 : 42);
    h.seed_list(3000);
    local_replica r(mode);
    REQUIRE(
        r.load_snapshot(mode == client_mode::replica ? h.exact_snapshot() : h.filter_snapshot()));
    const std::uint64_t snapshot_seq = h.seq();

    // Each probe's changes, (seq, banned after it), in seq order; snapshot
    // members start with (snapshot_seq, true).
    std::unordered_map<fingerprint, std::vector<std::pair<std::uint64_t, bool>>> timeline;
    for (const auto& [fp, e] : h.list())
      timeline[fp].emplace_back(snapshot_seq, true);
    std::vector<sdk::delta_batch> batches;
    const std::size_t batch_size = local_replica::kApplyChunk * 3 + 100;
    for (int i = 0; i < 30; ++i) {
      batches.push_back(h.random_batch(batch_size, 0.3));
      for (const auto& c : batches.back().changes)
        timeline[c.fp].emplace_back(c.seq, c.op == change_op::ban);
    }
    std::vector<fingerprint> probes;
    for (const auto& [fp, t] : timeline)
      probes.push_back(fp);
    std::set<std::uint64_t> batch_ends{snapshot_seq};
    for (const auto& b : batches)
      batch_ends.insert(b.to);

    // What the replica must answer for fp at seq: its verdict, or nullopt for
    // "not_banned or maybe" (a filter's false positive on a fingerprint the
    // snapshot did not hold and no change has touched yet).
    auto want = [&](const fingerprint& fp, std::uint64_t seq) -> std::optional<check_verdict> {
      const auto& t = timeline.at(fp);
      const bool member = t.front().first == snapshot_seq;
      bool banned = false;
      bool touched = false;  // by a change after the snapshot
      for (const auto& [s, b] : t) {
        if (s > seq)
          break;
        banned = b;
        touched = touched || s > snapshot_seq;
      }
      if (mode == client_mode::replica || touched)
        return banned ? check_verdict::banned : check_verdict::not_banned;
      if (member)
        return check_verdict::maybe;
      return std::nullopt;
    };
    // Checks `in` at one seq against the timeline; returns the wrong answers.
    auto count_wrong = [&](std::span<const fingerprint> in, std::span<const check_result> out) {
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < in.size(); ++i) {
        const auto w = want(in[i], out[0].seq);
        wrong += out[i].seq != out[0].seq ||
                 (w ? out[i].verdict != *w : out[i].verdict == check_verdict::banned);
      }
      return wrong;
    };

    // Deterministic part: after each chunk (the callback of its last change),
    // every probe as the timeline says at the replica's seq.
    std::size_t callback_wrong = 0;
    std::size_t between_chunks = 0;  // verified states at a seq no batch ends at
    std::vector<check_result> all(probes.size());
    r.set_change_callback([&](const delta_change& c) {
      if (r.status().seq != c.seq)
        return;  // not the last change of its chunk
      r.check_many(probes, all);
      callback_wrong += count_wrong(probes, all);
      between_chunks += !batch_ends.contains(all[0].seq);
    });

    std::atomic<bool> done{false};
    std::atomic<std::size_t> reader_wrong{0};
    auto reader = [&] {
      constexpr std::size_t kWindow = 256;
      std::vector<check_result> out(kWindow);
      for (std::size_t start = 0; !done.load(std::memory_order_relaxed);
           start = (start + kWindow) % (probes.size() - kWindow)) {
        const auto in = std::span(probes).subspan(start, kWindow);
        r.check_many(in, out);
        reader_wrong += count_wrong(in, out);
      }
    };
    std::thread t1(reader), t2(reader);
    for (const auto& b : batches) {
      REQUIRE(r.apply(b));
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    done = true;
    t1.join();
    t2.join();
    CHECK(callback_wrong == 0);
    CHECK(reader_wrong == 0);
    // Three chunk boundaries inside each of the 30 batches.
    CHECK(between_chunks == 30 * 3);
    CHECK(r.status().seq == h.seq());
    CHECK(r.status().digest == h.digest());
  }
}
