// The domain store against a real redis-server: ban/lift semantics, seq and
// digest invariants, the change log, keys and audit.
//
// Note (g++ 12): no co_await inside Catch2 macros (it runs twice there) and
// no aggregate temporaries like actor{...} inside a co_await expression
// (copied bitwise): await into a local, build arguments in locals.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "banlist/sdk/reason.hpp"
#include "banned_layout.hpp"
#include "record_layout.hpp"
#include "redis_server.hpp"
#include "run_async.hpp"
#include "store/record_codec.hpp"
#include "store/redis_connection.hpp"
#include "store/secrets.hpp"
#include "store/store.hpp"

namespace asio = boost::asio;
using namespace banlist;
using namespace banlist::service;
using namespace std::chrono_literals;

namespace {

fingerprint fp_of(std::uint64_t i) {
  return {0x9e3779b97f4a7c15ULL * (i + 1), (0xc2b2ae3d27d4eb4fULL * (i + 7)) ^ (i << 17)};
}

ban_record make_ban(std::uint64_t i, sdk::identifier_type type = sdk::identifier_type::phone) {
  ban_record r;
  r.fp = fp_of(i);
  r.type = type;
  r.value = "+8613800" + std::to_string(100000 + i);
  r.masked = "138****" + std::to_string(i % 10000);
  r.reason = i % 3 == 0 ? "fraud" : "scam";
  r.note = "note " + std::to_string(i);
  r.case_id = "case-" + std::to_string(i);
  r.source = "example-platform";
  r.is_public = i % 2 == 0;
  return r;
}

actor moderator() {
  return actor{"k-mod", "127.0.0.1", "req-1"};
}

fingerprint xor_of(const std::vector<fingerprint>& fps) {
  fingerprint d;
  for (const auto& fp : fps) {
    d.high ^= fp.high;
    d.low ^= fp.low;
  }
  return d;
}

template <class T>
T must(store_result<T> r) {
  if (!r)
    FAIL("store error: " << r.error().message);
  return std::move(*r);
}

asio::awaitable<std::shared_ptr<store>> open(const test::redis_server& redis) {
  auto executor = co_await asio::this_coro::executor;
  store_options options;
  auto s = co_await open_redis_store(executor, redis.endpoint(), options);
  if (!s)
    FAIL("open_redis_store: " << s.error().message);
  std::shared_ptr<store> opened = *s;
  co_return opened;
}

// A raw connection for looking behind the store's back.
asio::awaitable<std::shared_ptr<redis_connection>> raw(const test::redis_server& redis) {
  auto executor = co_await asio::this_coro::executor;
  redis_connection::config cfg;
  cfg.endpoint = redis.endpoint();
  auto c = redis_connection::create(executor, cfg);
  auto ready = co_await c->wait_connected(5s);
  REQUIRE(ready.has_value());
  co_return c;
}

asio::awaitable<redis_value> raw_command_v(std::shared_ptr<redis_connection> c,
                                           std::vector<std::string> args) {
  auto r = co_await c->execute(std::move(args), 5s);
  REQUIRE(r.has_value());
  REQUIRE_FALSE(r->is_error());
  co_return std::move(*r);
}

// Not a coroutine, so the braced list never lives in a coroutine frame
// (g++ 12 miscompiles that: "array used as initializer").
template <class... Args>
asio::awaitable<redis_value> raw_command(std::shared_ptr<redis_connection> c, Args... args) {
  return raw_command_v(std::move(c), std::vector<std::string>{std::string(args)...});
}

asio::awaitable<void> ban_many(std::shared_ptr<store> s, std::uint64_t first, std::uint64_t n,
                               std::shared_ptr<std::vector<std::uint64_t>> seqs) {
  for (std::uint64_t i = first; i < first + n; ++i) {
    auto outcome = co_await s->ban(make_ban(i), moderator());
    REQUIRE(outcome.has_value());
    REQUIRE(outcome->created);
    seqs->push_back(outcome->record.seq);
  }
}

}  // namespace

TEST_CASE("ban, get, check, lift, check", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    CHECK(s->connected());
    auto banned = must(co_await s->ban(make_ban(1), moderator()));
    CHECK(banned.created);
    CHECK(banned.record.seq == 1);
    CHECK(banned.record.status == ban_status::banned);
    CHECK(banned.record.banned_by == "k-mod");
    CHECK(banned.record.banned_at_ms > 1'600'000'000'000);

    auto got = must(co_await s->get(fp_of(1)));
    REQUIRE(got.has_value());
    CHECK(got->value == make_ban(1).value);
    CHECK(got->reason == make_ban(1).reason);
    CHECK(got->case_id == "case-1");
    CHECK(got->type == sdk::identifier_type::phone);
    CHECK_FALSE(got->expires_at.has_value());
    auto missing = must(co_await s->get(fp_of(2)));
    CHECK_FALSE(missing.has_value());

    std::vector<fingerprint> both{fp_of(1), fp_of(2)};
    auto answers = must(co_await s->check(both));
    REQUIRE(answers.size() == 2);
    CHECK(answers[0].banned);
    CHECK(answers[0].seq == 1);
    CHECK(answers[0].reason == make_ban(1).reason);
    CHECK(answers[0].since_ms == banned.record.banned_at_ms);
    CHECK_FALSE(answers[1].banned);

    auto lifted = must(co_await s->lift(fp_of(1), "appeal_granted", moderator()));
    CHECK(lifted.seq == 2);
    answers = must(co_await s->check(both));
    CHECK_FALSE(answers[0].banned);
    auto after = must(co_await s->get(fp_of(1)));
    REQUIRE(after.has_value());
    CHECK(after->status == ban_status::lifted);
    CHECK(after->lift_reason == "appeal_granted");
    CHECK(after->lift_seq == 2);
    auto v1 = must(co_await s->head_seq());
    CHECK(v1 == 2);
  });
}

TEST_CASE("re-ban is idempotent, lift of unknown or lifted is not_found, re-ban after lift",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto first = must(co_await s->ban(make_ban(7), moderator()));
    auto proposed = make_ban(7);
    proposed.reason = "different";
    auto again = must(co_await s->ban(proposed, moderator()));
    CHECK_FALSE(again.created);
    CHECK(again.record.seq == first.record.seq);
    CHECK(again.record.reason == first.record.reason);  // the stored record, unchanged
    auto v2 = must(co_await s->head_seq());
    CHECK(v2 == 1);
    auto log = must(co_await s->read_changes(0, 100, 0ms));
    CHECK(log.size() == 1);

    auto unknown = co_await s->lift(fp_of(8), "x", moderator());
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().code == store_errc::not_found);

    auto v3 = must(co_await s->lift(fp_of(7), "appeal", moderator()));
    CHECK(v3.seq == 2);
    auto twice = co_await s->lift(fp_of(7), "appeal", moderator());
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().code == store_errc::not_found);
    auto v4 = must(co_await s->head_seq());
    CHECK(v4 == 2);

    auto reban = must(co_await s->ban(make_ban(7), moderator()));
    CHECK(reban.created);
    CHECK(reban.record.seq == 3);
    CHECK(reban.record.status == ban_status::banned);
    CHECK(reban.record.lift_seq == 0);  // lift fields are cleared
    auto changes = must(co_await s->read_changes(0, 100, 0ms));
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].op == change_op::ban);
    CHECK(changes[1].op == change_op::lift);
    CHECK(changes[1].reason == "appeal");
    CHECK(changes[2].op == change_op::ban);
    CHECK(changes[2].digest == fp_of(7));
    CHECK(changes[1].digest == fingerprint{});
  });
}

TEST_CASE("8 concurrent writers: seq strictly increasing and gap-free, digest agrees",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    constexpr std::uint64_t kWriters = 8, kEach = 200;
    std::vector<std::shared_ptr<std::vector<std::uint64_t>>> seqs;
    std::vector<asio::awaitable<void>> tasks;
    for (std::uint64_t w = 0; w < kWriters; ++w) {
      seqs.push_back(std::make_shared<std::vector<std::uint64_t>>());
      tasks.push_back(ban_many(s, w * kEach, kEach, seqs.back()));
    }
    co_await test::wait_all(std::move(tasks));

    std::set<std::uint64_t> all;
    for (const auto& v : seqs) {
      CHECK(std::is_sorted(v->begin(), v->end()));  // each writer sees its seqs increase
      all.insert(v->begin(), v->end());
    }
    CHECK(all.size() == kWriters * kEach);
    CHECK(*all.begin() == 1);
    CHECK(*all.rbegin() == kWriters * kEach);  // 1..N with no gap and no repeat

    // Lift every third so the digest has both kinds of change.
    for (std::uint64_t i = 0; i < kWriters * kEach; i += 3) {
      must(co_await s->lift(fp_of(i), "appeal", moderator()));
    }
    std::vector<fingerprint> banned;
    for (std::uint64_t i = 0; i < kWriters * kEach; ++i) {
      if (i % 3 != 0)
        banned.push_back(fp_of(i));
    }
    auto c = co_await raw(redis);
    auto digest = co_await raw_command(c, "GET", "bl:digest");
    REQUIRE(digest.string());
    CHECK(*digest.string() == xor_of(banned).to_hex());

    // Each log entry carries the digest after its change.
    auto changes = must(co_await s->read_changes(0, 100000, 0ms));
    const auto head = must(co_await s->head_seq());
    REQUIRE(changes.size() == head);
    std::map<fingerprint, bool> state;
    fingerprint running;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      CHECK(changes[i].seq == i + 1);
      running.high ^= changes[i].fp.high;
      running.low ^= changes[i].fp.low;
      CHECK(changes[i].digest == running);
      state[changes[i].fp] = changes[i].op == change_op::ban;
    }
    CHECK(running == xor_of(banned));

    auto loaded = must(co_await s->load_banned());
    CHECK(loaded.seq == head);
    std::set<fingerprint> loaded_set(loaded.fps.begin(), loaded.fps.end());
    CHECK(loaded_set == std::set<fingerprint>(banned.begin(), banned.end()));
    CHECK(loaded.fps.size() == banned.size());
    c->close();
  });
}

TEST_CASE("read_changes pages, then blocks and wakes on a new ban", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto executor) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    for (std::uint64_t i = 0; i < 5; ++i)
      must(co_await s->ban(make_ban(i), moderator()));
    auto page = must(co_await s->read_changes(2, 2, 0ms));
    REQUIRE(page.size() == 2);
    CHECK(page[0].seq == 3);
    CHECK(page[1].seq == 4);
    CHECK(page[0].fp == fp_of(2));
    CHECK(page[0].type == sdk::identifier_type::phone);

    // Times out with nothing.
    auto t0 = std::chrono::steady_clock::now();
    auto none = must(co_await s->read_changes(5, 10, 300ms));
    CHECK(none.empty());
    CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);

    // Wakes when another writer bans, well before the block time.
    struct late_ban {
      bool finished = false;
      bool applied = false;
    };
    auto writer = std::make_shared<late_ban>();
    asio::co_spawn(
        executor,
        [](std::shared_ptr<store> st) -> asio::awaitable<bool> {
          asio::steady_timer t(co_await asio::this_coro::executor);
          t.expires_after(200ms);
          co_await t.async_wait(asio::use_awaitable);
          auto banned = co_await st->ban(make_ban(99), moderator());
          co_return banned.has_value();
        }(s),
        [writer](std::exception_ptr e, bool applied) {
          writer->finished = true;
          writer->applied = !e && applied;
        });
    t0 = std::chrono::steady_clock::now();
    auto woken = must(co_await s->read_changes(5, 10, 10s));
    const auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE(woken.size() == 1);
    CHECK(woken[0].seq == 6);
    CHECK(woken[0].fp == fp_of(99));
    CHECK(waited >= 150ms);
    CHECK(waited < 5s);

    // The XREAD reply can arrive before the writer's own EVALSHA reply. Wait
    // for that one too: a command still pending when the context goes keeps
    // its caller's frame, which owns the store, which owns the command (a
    // cycle LeakSanitizer reported in CI).
    asio::steady_timer poll(executor);
    while (!writer->finished) {
      poll.expires_after(1ms);
      co_await poll.async_wait(asio::use_awaitable);
    }
    CHECK(writer->applied);
  });
}

TEST_CASE("change log: entries are packed, older named ones still read, layout marked",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    const auto wall_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
    const auto t0 = wall_ms();
    must(co_await s->ban(make_ban(1), moderator()));
    auto phishing = make_ban(2, sdk::identifier_type::email);
    phishing.reason = "phishing";
    must(co_await s->ban(phishing, moderator()));
    must(co_await s->lift(fp_of(1), "appeal_granted", moderator()));
    const auto t1 = wall_ms();

    // Each entry is one binary field: 25 bytes with the type's and the
    // reason's codes (41 at a seq that keeps the digest, every 16th), then
    // the reason's text when it has no code (a ban reason outside the
    // vocabulary, a lift's reason).
    auto entries = co_await raw_command(c, "XRANGE", "bl:log", "-", "+");
    REQUIRE(entries.array());
    REQUIRE(entries.array()->size() == 3);
    const std::vector<std::size_t> sizes{25 + make_ban(1).reason.size(), 25,
                                         25 + std::string("appeal_granted").size()};
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& fields = *(*entries.array())[i].array()->at(1).array();
      REQUIRE(fields.size() == 2);
      CHECK(*fields[0].string() == "c");
      CHECK(fields[1].string()->size() == sizes[i]);
    }

    // Read back through the store: every value, and the digest after each.
    auto page = must(co_await s->read_changes(0, 10, 0ms));
    REQUIRE(page.size() == 3);
    CHECK(page[0].op == change_op::ban);
    CHECK(page[0].fp == fp_of(1));
    CHECK(page[0].digest == xor_of({fp_of(1)}));
    CHECK(page[1].type == sdk::identifier_type::email);
    CHECK(page[1].reason == "phishing");
    CHECK(page[1].digest == xor_of({fp_of(1), fp_of(2)}));
    CHECK(page[2].op == change_op::lift);
    CHECK(page[2].fp == fp_of(1));
    CHECK(page[2].type == sdk::identifier_type::phone);
    CHECK(page[2].reason == "appeal_granted");
    CHECK(page[2].digest == xor_of({fp_of(2)}));
    for (const auto& ch : page) {
      CHECK(ch.at_ms >= t0);
      CHECK(ch.at_ms <= t1);
    }
    auto state = must(co_await s->log_state());
    CHECK(state.digest == page[2].digest);

    // An entry an older banlistd wrote (named text fields) reads the same.
    const auto old_fp = fp_of(3);
    const auto old_digest = xor_of({fp_of(2), old_fp});
    co_await raw_command(c, "XADD", "bl:log", "4-1", "op", "ban", "fp", old_fp.to_hex(), "type",
                         "domain", "reason", "phishing", "at", "1700000000123", "digest",
                         old_digest.to_hex());
    co_await raw_command(c, "SET", "bl:seq", "4");
    auto old = must(co_await s->read_changes(3, 10, 0ms));
    REQUIRE(old.size() == 1);
    CHECK(old[0].seq == 4);
    CHECK(old[0].fp == old_fp);
    CHECK(old[0].type == sdk::identifier_type::domain);
    CHECK(old[0].reason == "phishing");
    CHECK(old[0].at_ms == 1700000000123);
    CHECK(old[0].digest == old_digest);

    // A new list is at layout 8 (banlistd runs init_list at every start);
    // one at layout 5 is marked 8 at the next start (nothing of these to move); one
    // a newer banlistd marked is refused and left as it is.
    auto marker = [](const redis_value& v) { return v.string() ? *v.string() : "(nil)"; };
    must(co_await s->init_list(1));
    auto fresh = co_await raw_command(c, "GET", "bl:layout");
    CHECK(marker(fresh) == "8");
    co_await raw_command(c, "SET", "bl:layout", "5");
    must(co_await s->init_list(1));
    auto upgraded = co_await raw_command(c, "GET", "bl:layout");
    CHECK(marker(upgraded) == "8");
    co_await raw_command(c, "SET", "bl:layout", "9");
    auto newer = co_await s->init_list(1);
    REQUIRE_FALSE(newer.has_value());
    CHECK(newer.error().message.find("layout 9") != std::string::npos);
    auto kept = co_await raw_command(c, "GET", "bl:layout");
    CHECK(marker(kept) == "9");
  });
}

// Since layout 8 only every 16th log entry stores its digest; a read
// computes the others from the nearest one before (the digest after n is
// the one after n - 1 XOR n's fingerprint), wherever it starts, and
// retention keeps the oldest entry one that stores it.
TEST_CASE("change log: digests kept every 16th seq, computed for the rest", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    must(co_await s->init_list(1));
    std::vector<fingerprint> digest_after(1);  // [n] = the digest after seq n
    for (std::uint64_t i = 1; i <= 70; ++i) {
      fingerprint d = digest_after.back();
      if (i % 5 == 0) {
        must(co_await s->lift(fp_of(i - 2), "appeal", moderator()));
        d = {d.high ^ fp_of(i - 2).high, d.low ^ fp_of(i - 2).low};
        must(co_await s->ban(make_ban(i), moderator()));
        digest_after.push_back(d);
        d = {d.high ^ fp_of(i).high, d.low ^ fp_of(i).low};
      } else {
        must(co_await s->ban(make_ban(i), moderator()));
        d = {d.high ^ fp_of(i).high, d.low ^ fp_of(i).low};
      }
      digest_after.push_back(d);
    }
    const std::uint64_t head = digest_after.size() - 1;
    REQUIRE(must(co_await s->head_seq()) == head);

    // 41 bytes with the digest at seqs 16, 32, 48, 64; 25 at the others
    // (the ban reasons here have no code: their text follows).
    auto c = co_await raw(redis);
    auto entries = co_await raw_command(c, "XRANGE", "bl:log", "-", "+");
    REQUIRE(entries.array());
    REQUIRE(entries.array()->size() == head);
    for (const auto& e : *entries.array()) {
      const std::string id = *e.array()->at(0).string();
      const auto seq = std::stoull(id.substr(0, id.find('-')));
      const auto& value = *e.array()->at(1).array()->at(1).string();
      INFO("seq " << seq);
      CHECK((static_cast<unsigned char>(value[0]) & 64) == (seq % 16 == 0 ? 0 : 64));
    }

    // Every start, every length: the digests are exact.
    for (std::uint64_t after = 0; after < head; after += 3) {
      for (const std::size_t count : {std::size_t{1}, std::size_t{7}, std::size_t{100}}) {
        auto page = must(co_await s->read_changes(after, count, 0ms));
        REQUIRE(page.size() == std::min<std::size_t>(count, head - after));
        for (std::size_t k = 0; k < page.size(); ++k) {
          REQUIRE(page[k].seq == after + 1 + k);
          REQUIRE(page[k].digest == digest_after[page[k].seq]);
        }
      }
    }
    // A blocking read past the head gets the next change, digest computed.
    must(co_await s->ban(make_ban(500), moderator()));
    const fingerprint last{digest_after.back().high ^ fp_of(500).high,
                           digest_after.back().low ^ fp_of(500).low};
    auto next = must(co_await s->read_changes(head, 10, 200ms));
    REQUIRE(next.size() == 1);
    CHECK(next[0].digest == last);

    // Retention rounds down to a seq that keeps the digest: asked for 45,
    // it keeps 32 on; a read from 31 (the oldest cursor served) and one
    // from 40 are exact.
    auto oldest = must(co_await s->trim_log(45));
    CHECK(oldest == 32);
    auto from_oldest = must(co_await s->read_changes(31, 100, 0ms));
    REQUIRE(from_oldest.size() == head + 1 - 31);
    CHECK(from_oldest.front().seq == 32);
    for (std::size_t k = 0; k + 1 < from_oldest.size(); ++k)
      CHECK(from_oldest[k].digest == digest_after[from_oldest[k].seq]);
    CHECK(from_oldest.back().digest == last);
    auto mid = must(co_await s->read_changes(40, 5, 0ms));
    REQUIRE(mid.size() == 5);
    CHECK(mid[0].digest == digest_after[41]);
    // An entry with no digest and none before it is refused, not guessed.
    co_await raw_command(c, "XTRIM", "bl:log", "MINID", "33-0");
    auto orphan = co_await s->read_changes(33, 5, 0ms);
    CHECK_FALSE(orphan.has_value());
    c->close();
  });
}

TEST_CASE("a context destroyed with a ban in flight lets go of the store", "[redis][store]") {
  // Redis holds the ban's EVALSHA (CLIENT PAUSE WRITE), so the command is
  // still pending when the body returns and run_async destroys its context.
  // The pending command's handler holds the coroutine that holds the store;
  // unless the connection drops it with its context, the store is never
  // freed (LeakSanitizer saw this cycle in CI).
  test::redis_server redis;
  std::weak_ptr<store> watched;
  test::run_async([&](auto executor) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    watched = s;
    auto c = co_await raw(redis);
    co_await raw_command(c, "CLIENT", "PAUSE", "2000", "WRITE");
    asio::co_spawn(
        executor,
        [](std::shared_ptr<store> st) -> asio::awaitable<void> {
          (void)co_await st->ban(make_ban(1), moderator());
        }(s),
        asio::detached);
    asio::steady_timer settle(executor);
    settle.expires_after(200ms);  // the ban is written and waits for its reply
    co_await settle.async_wait(asio::use_awaitable);
    c->close();
  });
  CHECK(watched.expired());
}

TEST_CASE("check answers a batch of 10,000 fingerprints", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    for (std::uint64_t i = 0; i < 100; ++i)
      must(co_await s->ban(make_ban(i * 100), moderator()));
    std::vector<fingerprint> fps;
    for (std::uint64_t i = 0; i < 10000; ++i)
      fps.push_back(fp_of(i));
    auto t0 = std::chrono::steady_clock::now();
    auto answers = must(co_await s->check(fps));
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(answers.size() == fps.size());
    for (std::uint64_t i = 0; i < 10000; ++i) {
      if (answers[i].banned != (i % 100 == 0))
        FAIL("wrong answer for " << i);
    }
    WARN("check of 10,000 fps took "
         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  });
}

TEST_CASE("list: cursor pagination and filters", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    for (std::uint64_t i = 0; i < 30; ++i) {
      must(co_await s->ban(
          make_ban(i, i % 2 ? sdk::identifier_type::email : sdk::identifier_type::phone),
          moderator()));
    }
    must(co_await s->lift(fp_of(4), "appeal", moderator()));

    std::vector<fingerprint> seen;
    ban_query q;
    q.limit = 7;
    while (true) {
      auto page = must(co_await s->list(q));
      CHECK(page.records.size() <= 7);
      for (auto& r : page.records)
        seen.push_back(r.fp);
      if (!page.next_cursor)
        break;
      q.after_seq = *page.next_cursor;
    }
    CHECK(seen.size() == 29);  // the lifted one is not listed
    CHECK(std::find(seen.begin(), seen.end(), fp_of(4)) == seen.end());
    CHECK(seen.front() == fp_of(0));

    ban_query emails;
    emails.type = sdk::identifier_type::email;
    emails.reason = "scam";
    emails.limit = 100;
    auto filtered = must(co_await s->list(emails));
    for (auto& r : filtered.records) {
      CHECK(r.type == sdk::identifier_type::email);
      CHECK(r.reason == "scam");
    }
    // odd i, i % 3 != 0, in 0..29: 1,5,7,11,13,17,19,23,25,29
    CHECK(filtered.records.size() == 10);
    CHECK_FALSE(filtered.next_cursor.has_value());

    ban_query future;
    future.since_ms = std::int64_t{4'000'000'000'000};
    auto v5 = must(co_await s->list(future));
    CHECK(v5.records.empty());
  });
}

TEST_CASE("keys: create, find, revoke, register idempotent, audit without raw values",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto created = must(co_await s->create_key(role::partner, "acme", moderator()));
    CHECK(created.secret.starts_with("blk_"));
    CHECK(created.secret.size() == 4 + 64);
    CHECK(created.record.key_role == role::partner);
    CHECK(created.record.name == "acme");
    CHECK_FALSE(created.record.revoked);

    auto found = must(co_await s->find_key(key_secret_hash(created.secret)));
    REQUIRE(found.has_value());
    CHECK(found->id == created.record.id);
    auto v6 = must(co_await s->find_key(key_secret_hash("blk_wrong")));
    CHECK_FALSE(v6.has_value());

    auto v7 = must(co_await s->revoke_key(created.record.id, moderator()));
    CHECK(v7 == true);
    auto v8 = must(co_await s->revoke_key(created.record.id, moderator()));
    CHECK(v8 == false);
    auto unknown = co_await s->revoke_key("nope", moderator());
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().code == store_errc::not_found);
    found = must(co_await s->find_key(key_secret_hash(created.secret)));
    REQUIRE(found.has_value());
    CHECK(found->revoked);

    auto admin1 = must(co_await s->register_key("blk_bootstrap", role::admin, "bootstrap"));
    auto admin2 = must(co_await s->register_key("blk_bootstrap", role::admin, "bootstrap"));
    CHECK(admin1.id == admin2.id);
    CHECK(admin1.key_role == role::admin);
    auto keys = must(co_await s->list_keys());
    CHECK(keys.size() == 2);

    // The secret is stored nowhere, only its hash.
    auto c = co_await raw(redis);
    auto dump = co_await raw_command(c, "KEYS", "*");
    for (const auto& k : *dump.array())
      CHECK(k.string()->find("blk_") == std::string::npos);

    auto banned = make_ban(3);
    const actor remote{"k-mod", "10.0.0.9", "req-77"};
    must(co_await s->ban(banned, remote));
    auto entries = must(co_await s->audit(std::nullopt, 100));
    REQUIRE(entries.size() == 4);       // create, revoke, register, ban (repeats add none)
    CHECK(entries[0].action == "ban");  // newest first
    CHECK(entries[0].address == "10.0.0.9");
    CHECK(entries[0].request_id == "req-77");
    CHECK(entries[0].target == banned.fp.to_hex());
    for (const auto& e : entries) {
      CHECK(e.detail.find(banned.value) == std::string::npos);
      CHECK(e.target.find(banned.value) == std::string::npos);
      CHECK(e.detail.find("blk_") == std::string::npos);
    }
    auto older = must(co_await s->audit(entries[0].id, 100));
    CHECK(older.size() == entries.size() - 1);
    CHECK(older[0].id == entries[1].id);
    c->close();
  });
}

TEST_CASE("audit: scripts and banlistd write the same packed entry, older named ones read",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    // The value of the newest entry's one field, which must be `a`.
    auto newest_value = [&]() -> asio::awaitable<std::string> {
      auto reply = co_await raw_command(c, "XREVRANGE", "bl:audit", "+", "-", "COUNT", "1");
      const auto& fields = *(*reply.array())[0].array()->at(1).array();
      REQUIRE(fields.size() == 2);
      CHECK(*fields[0].string() == "a");
      co_return *fields[1].string();
    };

    // A ban through ban.lua (audit.lua): hex ids packed, the address as
    // text; a request id over 190 bytes takes the 16-bit length.
    const std::string key_id = "6f1c2a9b3d4e5f60";
    const std::string generated_req = "00ff00ff00ff00ff00ff00ff00ff00ff";
    auto banned = make_ban(5);
    const actor banning{key_id, "203.0.113.45", generated_req};
    must(co_await s->ban(banned, banning));
    const auto ban_value = co_await newest_value();
    CHECK(ban_value == service::encode_audit_entry("ban", key_id, "203.0.113.45", generated_req,
                                                   banned.fp.to_hex(), "type=phone seq=1"));
    const std::string long_req(200, 'R');
    // Hex of another length takes audit.lua's general path.
    const actor lifting{"0a1b2c", "::1", long_req};
    must(co_await s->lift(banned.fp, "appeal_granted", lifting));
    const auto lift_value = co_await newest_value();
    CHECK(lift_value == service::encode_audit_entry("lift", "0a1b2c", "::1", long_req,
                                                    banned.fp.to_hex(), "seq=2"));
    // An entry banlistd appends itself (record_audit).
    auto recorded = co_await s->record_audit("export_raw", "bans", "type=phone", moderator());
    REQUIRE(recorded.has_value());
    const auto own_value = co_await newest_value();
    CHECK(own_value == service::encode_audit_entry("export_raw", "k-mod", "127.0.0.1", "req-1",
                                                   "bans", "type=phone"));
    // An older banlistd's entry, seven named fields.
    co_await raw_command(c, "XADD", "bl:audit", "*", "at", "1700000000123", "key", "k-old", "addr",
                         "10.0.0.1", "req", "r-old", "action", "key_revoke", "target", "abc",
                         "detail", "");

    auto entries = must(co_await s->audit(std::nullopt, 10));
    REQUIRE(entries.size() == 4);  // newest first
    CHECK(entries[0].action == "key_revoke");
    CHECK(entries[0].at_ms == 1700000000123);
    CHECK(entries[0].key_id == "k-old");
    CHECK(entries[1].action == "export_raw");
    CHECK(entries[1].detail == "type=phone");
    CHECK(entries[2].action == "lift");
    CHECK(entries[2].request_id == long_req);
    CHECK(entries[2].key_id == "0a1b2c");
    CHECK(entries[2].address == "::1");
    CHECK(entries[3].action == "ban");
    CHECK(entries[3].key_id == key_id);
    CHECK(entries[3].address == "203.0.113.45");
    CHECK(entries[3].request_id == generated_req);
    CHECK(entries[3].target == banned.fp.to_hex());
    CHECK(entries[3].detail == "type=phone seq=1");
    // A packed entry's time is its id's.
    CHECK(std::to_string(entries[3].at_ms) == entries[3].id.substr(0, entries[3].id.find('-')));

    // Addresses audit.lua must pack as IPv4 only when they print back the
    // same, as record_codec does: bans of more fingerprints, byte for byte.
    std::uint64_t next_ban = 100;
    for (const char* address : {"1.0.0.1", "255.255.255.255", "010.0.0.1", "1.2.3.04", "256.1.1.1",
                                "1.2.3", "100.200.0.10"}) {
      const actor from{key_id, address, generated_req};
      auto other = make_ban(next_ban++);
      const auto made = must(co_await s->ban(other, from));
      const auto value = co_await newest_value();
      CHECK(value ==
            service::encode_audit_entry("ban", key_id, address, generated_req, other.fp.to_hex(),
                                        "type=phone seq=" + std::to_string(made.record.seq)));
    }
    c->close();
  });
}

TEST_CASE("init_list stores the seed once and keeps the epoch", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto first = must(co_await s->init_list(12345));
    CHECK(first.seed == 12345);
    CHECK(first.epoch != 0);
    auto second = must(co_await s->init_list(999));
    CHECK(second.seed == 12345);
    CHECK(second.epoch == first.epoch);
  });
}

TEST_CASE("NOSCRIPT: after SCRIPT FLUSH a ban still works (EVAL fallback)", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    must(co_await s->ban(make_ban(1), moderator()));
    auto c = co_await raw(redis);
    co_await raw_command(c, "SCRIPT", "FLUSH");
    auto exists =
        co_await raw_command(c, "SCRIPT", "EXISTS", "0000000000000000000000000000000000000000");
    REQUIRE(exists.array());
    auto second = must(co_await s->ban(make_ban(2), moderator()));
    CHECK(second.created);
    CHECK(second.record.seq == 2);
    auto lifted = must(co_await s->lift(fp_of(1), "appeal", moderator()));
    CHECK(lifted.seq == 3);
    c->close();
  });
}

// Since layout 8 the listing order is the banned set's one index
// (docs/redis-layout.md): bans and lifts keep it exact, and the scan reads
// exactly it, with each ban's codes.
TEST_CASE("banned set: the listing order holds exactly the bans, and the scan reads it",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    must(co_await s->init_list(1));
    for (std::uint64_t i = 1; i <= 300; ++i)
      must(co_await s->ban(make_ban(i), moderator()));
    for (std::uint64_t i = 1; i <= 300; i += 3)
      must(co_await s->lift(fp_of(i), "appeal", moderator()));
    auto c = co_await raw(redis);
    std::vector<std::string> read_all{"EVAL", std::string(test::kAllBannedScript), "0", "bl:bans"};
    auto all = co_await c->execute(read_all, 5s);
    REQUIRE(all.has_value());
    INFO((all->error() ? all->error()->message : std::string("consistent")));
    REQUIRE(all->array());
    std::set<std::string> in_redis;
    for (const auto& v : *all->array())
      in_redis.insert(*v.string());
    std::set<std::string> expected;
    for (std::uint64_t i = 1; i <= 300; ++i) {
      if ((i - 1) % 3 != 0)
        expected.insert(fp_of(i).to_hex());
    }
    CHECK(in_redis == expected);
    const auto scans_before = s->banned_scans();
    auto scanned = must(co_await s->load_banned_entries());
    CHECK(s->banned_scans() == scans_before + 1);
    CHECK(scanned.seq == 400);
    std::set<std::string> from_scan;
    for (const auto& e : scanned.entries) {
      from_scan.insert(e.fp.to_hex());
      CHECK(e.type == static_cast<std::uint8_t>(sdk::identifier_type::phone));
      CHECK(e.reason == static_cast<std::uint8_t>(sdk::ban_reason::other));  // "fraud", "scam"
    }
    CHECK(from_scan == expected);
    // Nothing of layout 7's banned buckets is written any more.
    auto old_keys = co_await raw_command(c, "KEYS", "bl:banned*");
    REQUIRE(old_keys.array());
    CHECK(old_keys.array()->empty());
    // Lifting every ban empties every order bucket (Redis deletes them).
    for (std::uint64_t i = 1; i <= 300; ++i) {
      if ((i - 1) % 3 != 0)
        must(co_await s->lift(fp_of(i), "appeal", moderator()));
    }
    auto buckets = co_await raw_command(c, "KEYS", "bl:bans:[0-9]*");
    REQUIRE(buckets.array());
    CHECK(buckets.array()->empty());
    CHECK(must(co_await s->load_banned_entries()).entries.empty());
    c->close();
  });
}

// A list at layout 7 (or older: its order values may lack codes, and
// layout 1's single hash may linger) is brought to layout 8 by the next
// start: every order value coded (from the record where it had none), a
// stale entry dropped, the bl:banned buckets and bitmap deleted.
TEST_CASE("banned set: init_list moves a layout 7 list to the listing order", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    must(co_await s->init_list(1));
    for (std::uint64_t i = 1; i <= 200; ++i) {
      auto r = make_ban(i, i % 2 == 0 ? sdk::identifier_type::email : sdk::identifier_type::phone);
      r.reason = i % 3 == 0 ? "spam" : (i % 3 == 1 ? "phishing" : "a reason of its own");
      must(co_await s->ban(std::move(r), moderator()));
    }
    must(co_await s->lift(fp_of(7), "appeal", moderator()));  // seq 201
    // The codes as banlistd wrote them (layout 8 form), to compare with.
    std::map<std::string, std::pair<std::uint8_t, std::uint8_t>> want;
    for (const auto& e : must(co_await s->load_banned_entries()).entries)
      want[e.fp.to_hex()] = {e.type, e.reason};
    REQUIRE(want.size() == 199);
    CHECK(want.at(fp_of(3).to_hex()).second == static_cast<std::uint8_t>(sdk::ban_reason::spam));
    CHECK(want.at(fp_of(2).to_hex()).second == static_cast<std::uint8_t>(sdk::ban_reason::other));

    // Make it a layout 7 list with older order values.
    auto c = co_await raw(redis);
    const auto raw_fp = [](const fingerprint& fp) {
      std::string out;
      for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>(fp.high >> shift));
      for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>(fp.low >> shift));
      return out;
    };
    for (std::uint64_t i = 1; i <= 200; ++i) {
      if (i == 7)
        continue;
      const std::string bucket = "bl:bans:" + std::to_string(i / 128);
      const std::string seq = std::to_string(i);
      const auto& codes = want.at(fp_of(i).to_hex());
      if (i % 4 == 0 || i % 4 == 3) {  // session 11: the hex alone
        co_await raw_command(c, "HSET", bucket, seq, fp_of(i).to_hex());
      } else if (i % 4 == 1) {  // layout 5: hex, codes, flag
        std::string value = fp_of(i).to_hex();
        value.push_back(static_cast<char>(codes.first));
        value.push_back(static_cast<char>(codes.second));
        value += i % 2 == 0 ? "1" : "0";
        co_await raw_command(c, "HSET", bucket, seq, value);
      }
      // Layout 7's banned buckets, and their bitmap.
      const std::string hex = fp_of(i).to_hex();
      std::string code_bytes(1, static_cast<char>(codes.first));
      code_bytes.push_back(static_cast<char>(codes.second));
      const std::string old_bucket = "bl:banned:" + hex.substr(0, 4);
      const std::string bit = std::to_string(std::stoul(hex.substr(0, 4), nullptr, 16));
      co_await raw_command(c, "HSET", old_bucket, raw_fp(fp_of(i)), code_bytes);
      co_await raw_command(c, "SETBIT", "bl:banned:nonempty", bit, "1");
    }
    // A stale entry (the lifted fp 7 under its old seq; lift.lua would
    // have removed it) and layout 1's hash.
    co_await raw_command(c, "HSET", "bl:bans:0", "7", fp_of(7).to_hex());
    co_await raw_command(c, "HSET", "bl:banned", fp_of(9).to_hex(), "xx");
    // A layout 5 value far beyond the first run of the migration script
    // (64 buckets), of a ban with no record: its codes are its own.
    const fingerprint far{0x1234, 0x5678};
    std::string far_value = far.to_hex();
    far_value.push_back('\x02');
    far_value.push_back('\x0e');
    far_value.push_back('1');
    co_await raw_command(c, "HSET", "bl:bans:150", "19201", far_value);
    co_await raw_command(c, "INCR", "bl:bans:count");
    co_await raw_command(c, "SET", "bl:seq", "20000");
    want[far.to_hex()] = {2, 14};
    co_await raw_command(c, "SET", "bl:layout", "7");

    must(co_await s->init_list(1));
    auto layout = co_await raw_command(c, "GET", "bl:layout");
    REQUIRE(layout.string());
    CHECK(*layout.string() == "8");
    std::vector<std::string> read_all{"EVAL", std::string(test::kAllBannedScript), "0", "bl:bans"};
    auto all = co_await c->execute(read_all, 5s);
    REQUIRE(all.has_value());
    INFO((all->error() ? all->error()->message : std::string("consistent")));
    REQUIRE(all->array());  // every value coded, the old keys gone
    CHECK(all->array()->size() == want.size());
    auto scanned = must(co_await s->load_banned_entries());
    std::map<std::string, std::pair<std::uint8_t, std::uint8_t>> got;
    for (const auto& e : scanned.entries)
      got[e.fp.to_hex()] = {e.type, e.reason};
    CHECK(got == want);
    // The public flag came from the record too (make_ban: even i public),
    // and the stale entry is gone.
    auto value4 = co_await raw_command(c, "HGET", "bl:bans:0", "4");
    auto value3 = co_await raw_command(c, "HGET", "bl:bans:0", "3");
    auto stale = co_await raw_command(c, "HEXISTS", "bl:bans:0", "7");
    REQUIRE(value4.string());
    REQUIRE(value3.string());
    CHECK(value4.string()->back() == '1');
    CHECK(value3.string()->back() == '0');
    REQUIRE(stale.integer());
    CHECK(*stale.integer() == 0);
    // A second start finds nothing to move and changes nothing.
    must(co_await s->init_list(1));
    CHECK(must(co_await s->load_banned_entries()).entries.size() == want.size());
    c->close();
  });
}

namespace {

std::int64_t integer_of(const redis_value& v) {
  return v.integer() ? *v.integer() : -1;
}

// Every page of list(), `limit` at a time, as (seq, fp) in the order given.
asio::awaitable<std::vector<std::pair<std::uint64_t, fingerprint>>> list_all(
    std::shared_ptr<store> s, std::size_t limit) {
  std::vector<std::pair<std::uint64_t, fingerprint>> out;
  ban_query query;
  query.limit = limit;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = must(co_await s->list(query));
    for (const auto& r : page.records)
      out.emplace_back(r.seq, r.fp);
    if (!page.next_cursor)
      co_return out;
    query.after_seq = *page.next_cursor;
  }
  FAIL("list_all: the cursor never ended");
  co_return out;
}

// An order bucket's value for a ban (layout 6): the fp's 16 bytes, the
// identifier type's code, the reason's code (`other` outside the
// vocabulary), the public flag.
std::string order_value(const ban_record& b) {
  const auto reason = sdk::parse_reason(b.reason).value_or(sdk::ban_reason::other);
  return fingerprint_bytes(b.fp) + static_cast<char>(static_cast<std::uint8_t>(b.type)) +
         static_cast<char>(static_cast<std::uint8_t>(reason)) + (b.is_public ? '1' : '0');
}

// Every field of the order buckets bl:bans:0 .. bl:bans:{last}: seq -> value.
asio::awaitable<std::map<std::uint64_t, std::string>> order_buckets(
    std::shared_ptr<redis_connection> c, std::uint64_t last) {
  std::map<std::uint64_t, std::string> out;
  for (std::uint64_t b = 0; b <= last; ++b) {
    auto fields = co_await raw_command(c, "HGETALL", "bl:bans:" + std::to_string(b));
    REQUIRE(fields.array());
    const auto& items = *fields.array();
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      const auto seq = service::parse_u64(*items[i].string());
      REQUIRE(seq);
      CHECK(*seq / 128 == b);  // in its own bucket
      out[*seq] = *items[i + 1].string();
    }
  }
  co_return out;
}

}  // namespace

TEST_CASE("listing order: bans and lifts keep the buckets and the count", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    // Ban i gets seq i + 1: 400 bans fill buckets 0-3 (128 seqs each).
    // Lifting seqs 131..383 leaves bucket 1 three entries and bucket 2 none.
    for (std::uint64_t i = 0; i < 400; ++i)
      must(co_await s->ban(make_ban(i), moderator()));
    for (std::uint64_t i = 130; i < 383; ++i)
      must(co_await s->lift(fp_of(i), "appeal", moderator()));
    // A re-ban after a lift is a new ban at the end of the order.
    must(co_await s->ban(make_ban(200), moderator()));

    std::map<std::uint64_t, std::string> expected;  // seq -> value
    for (std::uint64_t i = 0; i < 400; ++i) {
      if (i < 130 || i >= 383)
        expected[i + 1] = order_value(make_ban(i));
    }
    expected[654] = order_value(make_ban(200));  // 400 bans + 253 lifts, then this one
    const auto buckets = co_await order_buckets(c, 8);
    CHECK(buckets == expected);
    const auto bucket_2 = co_await raw_command(c, "EXISTS", "bl:bans:2");
    CHECK(integer_of(bucket_2) == 0);
    const auto counts = must(co_await s->counts());
    CHECK(counts.banned == expected.size());

    // Every listing page size walks the same order: each banned fp once, by
    // seq, across the emptied bucket.
    for (std::size_t limit : {1u, 7u, 128u, 1000u}) {
      auto listed = co_await list_all(s, limit);
      REQUIRE(listed.size() == expected.size());
      auto it = expected.begin();
      for (const auto& [seq, fp] : listed) {
        CHECK(seq == it->first);
        CHECK(fingerprint_bytes(fp) == it->second.substr(0, 16));
        ++it;
      }
    }
    c->close();
  });
}

TEST_CASE("listing order: init_list migrates layout 2's sorted sets", "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    // More bans than one migration run moves (1,000).
    const std::uint64_t n = 1100;
    for (std::uint64_t i = 0; i < n; ++i)
      must(co_await s->ban(make_ban(i), moderator()));
    const auto before = co_await order_buckets(c, n / 128);
    REQUIRE(before.size() == n);

    // Put the list back into layout 2: the listing order as one sorted set
    // (fp by seq), public bans in bl:public, no buckets and no count.
    std::vector<std::string> zadd{"ZADD", "bl:bans"};
    for (const auto& [seq, fp] : before) {
      zadd.push_back(std::to_string(seq));
      zadd.push_back(fp);
    }
    co_await raw_command_v(c, zadd);
    co_await raw_command(c, "ZADD", "bl:public", "1700000000000", fp_of(0).to_hex());
    for (std::uint64_t b = 0; b <= n / 128; ++b)
      co_await raw_command(c, "DEL", "bl:bans:" + std::to_string(b));
    co_await raw_command(c, "DEL", "bl:bans:count");
    const auto emptied = co_await order_buckets(c, n / 128);
    REQUIRE(emptied.empty());

    must(co_await s->init_list(1));
    const auto migrated = co_await order_buckets(c, n / 128);
    CHECK(migrated == before);
    const auto layout_2 = co_await raw_command(c, "EXISTS", "bl:bans", "bl:public");
    CHECK(integer_of(layout_2) == 0);
    const auto counts = must(co_await s->counts());
    CHECK(counts.banned == n);
    CHECK(counts.is_public == n / 2);  // make_ban: every other one
    const auto listed = co_await list_all(s, 100);
    CHECK(listed.size() == n);

    // A lift after the migration takes the entry out and counts down once.
    must(co_await s->lift(fp_of(5), "appeal", moderator()));
    const auto lifted = must(co_await s->counts());
    CHECK(lifted.banned == n - 1);
    // A second start finds nothing to move and changes nothing.
    must(co_await s->init_list(1));
    const auto again = must(co_await s->counts());
    CHECK(again.banned == n - 1);
    const auto after_lift = co_await order_buckets(c, n / 128);
    CHECK(after_lift.size() == n - 1);
    c->close();
  });
}

namespace {

// Every value of a record, so two reads of it compare whole.
std::string describe(const ban_record& r) {
  std::string d = r.fp.to_hex() + "|" + std::string(sdk::to_string(r.type)) + "|" + r.value + "|" +
                  r.masked + "|" + r.reason + "|" + r.note + "|" + r.case_id + "|" + r.source +
                  "|" + (r.is_public ? "public" : "private") + "|" +
                  std::to_string(r.banned_at_ms) + "|" + r.banned_by + "|" + std::to_string(r.seq) +
                  "|" + (r.expires_at ? std::to_string(*r.expires_at) : std::string("-")) + "|" +
                  r.report_id + "|" + (r.status == ban_status::banned ? "banned" : "lifted");
  if (r.status == ban_status::lifted) {
    d += "|" + std::to_string(r.lifted_at_ms) + "|" + r.lifted_by + "|" + r.lift_reason + "|" +
         std::to_string(r.lift_seq) + "|" + r.lift_case_id + "|" + r.lift_note;
  }
  return d;
}

// HSET of r as layout 3 kept it: one hash per fingerprint, a field per
// value, optional ones only when set.
std::vector<std::string> layout_3_hset(const ban_record& r) {
  std::vector<std::string> h{"HSET",      "bl:ban:" + r.fp.to_hex(),
                             "type",      std::string(sdk::to_string(r.type)),
                             "value",     r.value,
                             "masked",    r.masked,
                             "reason",    r.reason,
                             "note",      r.note,
                             "case_id",   r.case_id,
                             "source",    r.source,
                             "public",    r.is_public ? "1" : "0",
                             "banned_at", std::to_string(r.banned_at_ms),
                             "banned_by", r.banned_by,
                             "seq",       std::to_string(r.seq),
                             "status",    r.status == ban_status::banned ? "banned" : "lifted"};
  auto add = [&](std::string name, std::string value) {
    h.push_back(std::move(name));
    h.push_back(std::move(value));
  };
  if (r.expires_at)
    add("expires_at", std::to_string(*r.expires_at));
  if (r.status == ban_status::lifted) {
    add("lifted_at", std::to_string(r.lifted_at_ms));
    add("lifted_by", r.lifted_by);
    add("lift_reason", r.lift_reason);
    add("lift_seq", std::to_string(r.lift_seq));
    if (!r.lift_case_id.empty())
      add("lift_case_id", r.lift_case_id);
    if (!r.lift_note.empty())
      add("lift_note", r.lift_note);
  }
  return h;
}

}  // namespace

TEST_CASE(
    "records: version 3 holds codes, packed key ids and digits; every type, reason and "
    "value reads back",
    "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    // Every type, every reason of the vocabulary (1-14, 255 = other) and
    // two outside it; a hex key id bans, another lifts every third, and
    // every sixth is banned again (its lifted episode archived by the
    // script from the version 3 record it read).
    std::vector<std::string> reasons;
    for (int code = 1; code <= 14; ++code)
      reasons.emplace_back(
          sdk::to_string(*sdk::ban_reason_from_code(static_cast<std::uint8_t>(code))));
    reasons.emplace_back("other");
    reasons.emplace_back("fraud");
    reasons.emplace_back("12");
    const actor banner{"0123456789abcdef", "10.0.0.1", "r1"};
    const actor lifter{"fedcba9876543210", "10.0.0.2", "r2"};
    const std::size_t n = 8 * reasons.size();
    std::vector<ban_record> bans;
    for (std::size_t i = 0; i < n; ++i) {
      const auto type = *sdk::identifier_type_from_code(static_cast<std::uint8_t>(1 + i % 8));
      auto b = make_ban(i, type);
      b.reason = reasons[i / 8];
      // Values of digits are stored two to a byte (a '+' first or not,
      // leading zeros kept); others, and short ones, as text.
      if (i % 4 == 1)
        b.value = "user" + std::to_string(i) + "@example.com";
      else if (i % 4 == 2)
        b.value = "00" + std::to_string(1000000 + i * 37);
      else if (i % 4 == 3)
        b.value = "12345";
      bans.push_back(b);
      must(co_await s->ban(std::move(b), banner));
    }
    for (std::size_t i = 0; i < n; i += 3) {
      lift_request lift{bans[i].fp, "appeal_granted", "", ""};
      must(co_await s->lift_with(std::move(lift), lifter));
    }
    for (std::size_t i = 0; i < n; i += 6)
      must(co_await s->ban(bans[i], banner));

    for (std::size_t i = 0; i < n; ++i) {
      const auto& b = bans[i];
      // Stored: version 3, the type's code, the reason's code when it has
      // one, the key id in 9 bytes, a phone's digits packed.
      const auto packed = co_await raw_command(c, "HGET", "bl:rec:" + b.fp.to_hex().substr(0, 4),
                                               service::fingerprint_bytes(b.fp));
      REQUIRE(packed.string());
      const std::string& bytes = *packed.string();
      // (A fixarray of 15 values, or an array 16 of a lifted record's 21.)
      const std::size_t header = static_cast<std::uint8_t>(bytes[0]) == 0xdc ? 3 : 1;
      REQUIRE(bytes.size() > header + 2);
      CHECK(bytes[header] == 3);
      if (i % 4 == 0) {  // "+8613800" + 6 digits: 13 digits after the '+'
        CHECK(bytes.find(b.value) == std::string::npos);
        CHECK(bytes.find(std::string("\x01\x8d\x86\x13\x80\x01", 6)) != std::string::npos);
      } else if (i % 4 == 2) {
        CHECK(bytes.find(b.value) == std::string::npos);
      } else {
        CHECK(bytes.find(b.value) != std::string::npos);
      }
      CHECK(static_cast<std::uint8_t>(bytes[header + 1]) == static_cast<std::uint8_t>(b.type));
      if (sdk::parse_reason(b.reason))
        CHECK(bytes.find(b.reason) == std::string::npos);  // its code instead
      else
        CHECK(bytes.find(b.reason) != std::string::npos);
      CHECK(bytes.find("0123456789abcdef") == std::string::npos);
      CHECK(bytes.find(std::string("\0\x01\x23\x45\x67\x89\xab\xcd\xef", 9)) != std::string::npos);

      auto got = must(co_await s->get(b.fp));
      REQUIRE(got.has_value());
      CHECK(got->type == b.type);
      CHECK(got->value == b.value);
      CHECK(got->reason == b.reason);
      CHECK(got->banned_by == banner.key_id);
      const bool lifted = i % 3 == 0 && i % 6 != 0;
      CHECK(got->status == (lifted ? ban_status::lifted : ban_status::banned));
      if (lifted)
        CHECK(got->lifted_by == lifter.key_id);
      if (i % 6 == 0) {
        auto history = must(co_await s->history(b.fp));
        REQUIRE(history.has_value());
        REQUIRE(history->episodes.size() == 2);
        const auto& archived = history->episodes[0];
        CHECK(archived.status == ban_status::lifted);
        CHECK(archived.reason == b.reason);
        CHECK(archived.banned_by == banner.key_id);
        CHECK(archived.lifted_by == lifter.key_id);
      }
    }
    // lift.lua took each lifted record's type from the version 3 record
    // into its log entry.
    auto changes = must(co_await s->read_changes(0, 10000, 0ms));
    std::size_t lifts = 0;
    for (const auto& ch : changes) {
      if (ch.op != change_op::lift)
        continue;
      ++lifts;
      const auto it =
          std::find_if(bans.begin(), bans.end(), [&](const auto& b) { return b.fp == ch.fp; });
      REQUIRE(it != bans.end());
      CHECK(ch.type == it->type);
    }
    CHECK(lifts == (n + 2) / 3);
    c->close();
  });
}

TEST_CASE("records: a version 1 record an older banlistd wrote is read, lifted and banned again",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    auto b = make_ban(4, sdk::identifier_type::email);
    b.reason = "phishing";
    const actor banner{"0123456789abcdef", "10.0.0.1", "r1"};
    const auto banned = must(co_await s->ban(b, banner));
    // The same record as layout 6 stored it: version 1, names, the key id
    // as text (the listing order, the buckets and the log stay as banned).
    const std::string bucket = "bl:rec:" + b.fp.to_hex().substr(0, 4);
    const std::string field = service::fingerprint_bytes(b.fp);
    co_await raw_command(
        c, "EVAL",
        "redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack({1, 'email', ARGV[2], '', 'phishing', "
        "'n', 'c', 's', 0, 1700000000123, '0123456789abcdef', tonumber(ARGV[3]), 0, '', 0}))",
        "1", bucket, field, b.value, std::to_string(banned.record.seq));

    auto v1 = must(co_await s->get(b.fp));
    REQUIRE(v1.has_value());
    CHECK(v1->type == sdk::identifier_type::email);
    CHECK(v1->reason == "phishing");
    CHECK(v1->banned_by == banner.key_id);
    CHECK(v1->banned_at_ms == 1700000000123);
    // ban.lua answers an existing ban with the stored (version 1) bytes.
    auto again = must(co_await s->ban(b, banner));
    CHECK_FALSE(again.created);
    CHECK(again.record.banned_at_ms == 1700000000123);
    CHECK(again.record.reason == "phishing");

    // lift.lua reads it (no conversion) and stores version 3.
    const actor lifter{"fedcba9876543210", "10.0.0.2", "r2"};
    must(co_await s->lift(b.fp, "mistake", lifter));
    const auto stored = co_await raw_command(c, "HGET", bucket, field);
    REQUIRE(stored.string());
    REQUIRE(stored.string()->size() > 4);
    CHECK(static_cast<std::uint8_t>((*stored.string())[0]) == 0xdc);  // 21 values
    CHECK((*stored.string())[3] == 3);
    auto changes = must(co_await s->read_changes(0, 10, 0ms));
    REQUIRE(changes.size() == 2);
    CHECK(changes[1].op == change_op::lift);
    CHECK(changes[1].type == sdk::identifier_type::email);
    CHECK(changes[1].reason == "mistake");
    auto lifted = must(co_await s->get(b.fp));
    REQUIRE(lifted.has_value());
    CHECK(lifted->banned_by == banner.key_id);
    CHECK(lifted->lifted_by == lifter.key_id);
    CHECK(lifted->banned_at_ms == 1700000000123);

    // Banned again: the lifted episode is archived from the version 3 record.
    must(co_await s->ban(b, banner));
    auto history = must(co_await s->history(b.fp));
    REQUIRE(history.has_value());
    REQUIRE(history->episodes.size() == 2);
    CHECK(history->episodes[0].reason == "phishing");
    CHECK(history->episodes[0].banned_by == banner.key_id);
    CHECK(history->episodes[0].lifted_by == lifter.key_id);
    CHECK(history->episodes[0].banned_at_ms == 1700000000123);
    c->close();
  });
}

TEST_CASE("records: packed in buckets, and init_list migrates layout 3's hashes",
          "[redis][store]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    auto c = co_await raw(redis);
    // A new list starts at the current layout, 8 (banlistd runs init_list
    // at every start).
    must(co_await s->init_list(1));
    const auto layout = co_await raw_command(c, "GET", "bl:layout");
    CHECK(layout.string());
    CHECK((layout.string() ? *layout.string() : "") == "8");

    // More records than one SCAN page (1,000): banned, public or not, some
    // with an expiry, some lifted with and without a case and note.
    const std::uint64_t n = 1100;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto b = make_ban(i);
      if (i % 7 == 0)
        b.expires_at = 4000000000 + static_cast<std::int64_t>(i);
      must(co_await s->ban(std::move(b), moderator()));
    }
    for (std::uint64_t i = 0; i < n; i += 5) {
      lift_request lift{fp_of(i), "appeal", i % 10 == 0 ? "L-" + std::to_string(i) : "",
                        i % 10 == 0 ? "note " + std::to_string(i) : ""};
      must(co_await s->lift_with(std::move(lift), moderator()));
    }
    std::map<std::uint64_t, std::string> before;
    std::vector<ban_record> records;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto got = must(co_await s->get(fp_of(i)));
      REQUIRE(got.has_value());
      before[i] = describe(*got);
      records.push_back(std::move(*got));
    }
    // No key per record: 1,100 records live in at most 1,100 buckets, each
    // named by its fingerprint's first four hex digits.
    const auto record_keys = co_await raw_command(c, "KEYS", "bl:ban:*");
    CHECK(record_keys.array()->empty());
    const auto counted = co_await raw_command(c, "EVAL", test::kRecordCountScript, "0", "bl:rec");
    CHECK(integer_of(counted) == static_cast<std::int64_t>(n));

    // Put the list back into layout 3: record hashes, no buckets, no marker.
    for (const auto& r : records) {
      co_await raw_command_v(c, layout_3_hset(r));
      co_await raw_command(c, "DEL", "bl:rec:" + r.fp.to_hex().substr(0, 4));
    }
    co_await raw_command(c, "DEL", "bl:layout");
    const auto emptied = co_await raw_command(c, "EVAL", test::kRecordCountScript, "0", "bl:rec");
    REQUIRE(integer_of(emptied) == 0);

    must(co_await s->init_list(1));
    for (std::uint64_t i = 0; i < n; ++i) {
      auto got = must(co_await s->get(fp_of(i)));
      REQUIRE(got.has_value());
      CHECK(describe(*got) == before[i]);
    }
    const auto left = co_await raw_command(c, "KEYS", "bl:ban:*");
    CHECK(left.array()->empty());
    const auto marked = co_await raw_command(c, "GET", "bl:layout");
    CHECK((marked.string() ? *marked.string() : "") == "8");

    // Lifts and re-bans after the migration: a migrated lifted record
    // becomes the first episode of its history.
    must(co_await s->lift(fp_of(1), "appeal", moderator()));
    auto lifted = must(co_await s->get(fp_of(1)));
    REQUIRE(lifted.has_value());
    CHECK(lifted->status == ban_status::lifted);
    auto reban = must(co_await s->ban(make_ban(10), moderator()));
    CHECK(reban.created);
    auto history = must(co_await s->history(fp_of(10)));
    REQUIRE(history.has_value());
    REQUIRE(history->episodes.size() == 2);
    CHECK(describe(history->episodes[0]) == before[10]);
    CHECK(history->episodes[1].status == ban_status::banned);
    CHECK(history->episodes[1].seq == reban.record.seq);

    // A second start moves nothing: the marker is there, and a stray layout
    // 3 hash (an older banlistd still writing, which is not supported) is
    // left alone.
    co_await raw_command_v(c, layout_3_hset(records[20]));
    must(co_await s->init_list(1));
    const auto stray = co_await raw_command(c, "EXISTS", "bl:ban:" + fp_of(20).to_hex());
    CHECK(integer_of(stray) == 1);
    c->close();
  });
}

namespace {

// Board test records: every 5,000th ban is a public phishing e-mail, the
// rest public (every other one) or not, phone spam.
ban_record board_ban(std::uint64_t i) {
  ban_record r =
      make_ban(i, i % 5000 == 0 ? sdk::identifier_type::email : sdk::identifier_type::phone);
  if (i % 5000 == 0)
    r.value = "board" + std::to_string(i) + "@example.com";
  r.reason = i % 5000 == 0 ? "phishing" : "spam";
  r.is_public = i % 5000 == 0 || i % 2 == 0;
  return r;
}

// Every page of the board for `query` (cursor to cursor), and how many
// pages came back short of the limit but with a cursor.
asio::awaitable<std::pair<std::vector<std::uint64_t>, int>> board_walk(std::shared_ptr<store> s,
                                                                       public_query query) {
  std::vector<std::uint64_t> seqs;
  int short_pages = 0;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = must(co_await s->list_public(query));
    for (const auto& e : page.entries)
      seqs.push_back(e.seq);
    if (!page.next_cursor)
      co_return std::pair{seqs, short_pages};
    if (page.entries.size() < query.limit)
      ++short_pages;
    query.before_seq = *page.next_cursor;
  }
  FAIL("board_walk: the cursor never ended");
  co_return std::pair{seqs, short_pages};
}

}  // namespace

TEST_CASE("notice board: walks the listing order, filters sparse bans, keeps the count",
          "[redis][store][public]") {
  test::redis_server redis;
  test::run_async([&](auto) -> asio::awaitable<void> {
    auto s = co_await open(redis);
    must(co_await s->init_list(1));
    auto c = co_await raw(redis);
    // Ban i gets seq i + 1. 70,000 seqs: more than one page's walk (16 runs
    // of 4,096 seqs), so a sparse filter's first page comes back short.
    const std::uint64_t n = 70000;
    std::vector<std::uint64_t> phishing;  // seqs, newest first
    std::vector<std::uint64_t> shown;     // every public seq, newest first
    for (std::uint64_t first = 0; first < n; first += 1000) {
      std::vector<ban_record> chunk;
      for (std::uint64_t i = first; i < first + 1000; ++i)
        chunk.push_back(board_ban(i));
      auto outcomes = must(co_await s->ban_many(std::move(chunk), moderator()));
      for (const auto& o : outcomes)
        REQUIRE(o.has_value());
    }
    for (std::uint64_t i = n; i-- > 0;) {
      if (board_ban(i).is_public)
        shown.push_back(i + 1);
      if (i % 5000 == 0)
        phishing.push_back(i + 1);
    }
    auto counted = must(co_await s->counts());
    CHECK(counted.is_public == shown.size());

    // No filter: the newest public bans, page after page, none twice.
    public_query all;
    all.limit = 50;
    auto first_page = must(co_await s->list_public(all));
    REQUIRE(first_page.entries.size() == 50);
    for (std::size_t k = 0; k < 50; ++k)
      CHECK(first_page.entries[k].seq == shown[k]);
    CHECK(first_page.next_cursor == std::optional<std::uint64_t>(shown[49]));
    CHECK(first_page.entries[0].masked == board_ban(n - 2).masked);  // stored for public bans

    // Type and reason: 14 matches 5,000 seqs apart. The first page walks
    // 65,536 seqs and stops short with a cursor; the walk still returns
    // every match once, newest first.
    public_query sparse;
    sparse.type = sdk::identifier_type::email;
    sparse.reason = "phishing";
    sparse.limit = 20;
    auto [seqs, short_pages] = co_await board_walk(s, sparse);
    CHECK(seqs == phishing);
    CHECK(short_pages >= 1);
    // A reason outside the vocabulary matches nothing here (every ban has
    // a known reason), and a type alone finds the same e-mails.
    public_query odd;
    odd.reason = "no-such-reason";
    odd.limit = 50;
    auto odd_walk = co_await board_walk(s, odd);
    CHECK(odd_walk.first.empty());
    public_query by_type;
    by_type.type = sdk::identifier_type::email;
    by_type.limit = 3;
    auto type_walk = co_await board_walk(s, by_type);
    CHECK(type_walk.first == phishing);

    // Reasons outside the vocabulary share the code `other`: the record's
    // name decides. make_ban(i) gives "fraud" when i % 3 == 0, else "scam".
    for (std::uint64_t i = n; i < n + 6; ++i) {
      auto b = make_ban(i);
      b.is_public = true;
      must(co_await s->ban(std::move(b), moderator()));
    }
    public_query fraud;
    fraud.reason = "fraud";
    fraud.limit = 50;
    auto fraud_walk = co_await board_walk(s, fraud);
    CHECK(fraud_walk.first == std::vector<std::uint64_t>{n + 6, n + 3});  // i = n + 5, n + 2
    for (std::uint64_t i = n; i < n + 6; ++i)
      must(co_await s->lift(fp_of(i), "appeal", moderator()));

    // A lift takes a ban off the board and out of the count.
    must(co_await s->lift(fp_of(n - 2), "appeal", moderator()));
    auto after_lift = must(co_await s->list_public(all));
    REQUIRE_FALSE(after_lift.entries.empty());
    CHECK(after_lift.entries[0].seq == shown[1]);
    CHECK(must(co_await s->counts()).is_public == shown.size() - 1);

    // Layout 4 -> 5: the sorted-set indexes become the count, and order
    // values written before layout 5 (the fp alone) are judged by their
    // record. Put a few of the newest values back in older forms (layout
    // 5's: the fp's hex, then the codes and flag; older: the hex alone),
    // and the indexes back with a count that differs from the truth, so
    // the test sees where the migrated count comes from.
    for (std::uint64_t seq = n; seq > n - 10; --seq) {
      if (seq == n - 1)
        continue;  // the ban lifted above: no longer in the order
      const auto bucket = "bl:bans:" + std::to_string(seq / 128);
      auto value = co_await raw_command(c, "HGET", bucket, std::to_string(seq));
      REQUIRE(value.string());
      REQUIRE(*value.string() == order_value(board_ban(seq - 1)));
      const auto old = fp_of(seq - 1).to_hex() + (seq % 2 ? value.string()->substr(16) : "");
      co_await raw_command(c, "HSET", bucket, std::to_string(seq), old);
    }
    // The listing order reads every form: seqs n - 11 .. n but the lifted n - 1.
    ban_query tail;
    tail.after_seq = n - 12;
    tail.limit = 100;
    auto listed = must(co_await s->list(tail));
    REQUIRE(listed.records.size() == 11);
    for (const auto& r : listed.records)
      CHECK(r.fp == fp_of(r.seq - 1));
    std::vector<std::string> zadd{"ZADD", "bl:pubidx:all"};
    for (std::uint64_t k = 0; k < 123; ++k) {
      zadd.push_back(std::to_string(k + 1));
      zadd.push_back(fp_of(k).to_hex());
    }
    co_await raw_command_v(c, zadd);
    co_await raw_command(c, "ZADD", "bl:pubidx:t:phone", "1", fp_of(0).to_hex());
    co_await raw_command(c, "ZADD", "bl:pubidx:tr:phone:spam", "1", fp_of(0).to_hex());
    co_await raw_command(c, "DEL", "bl:public:count");
    co_await raw_command(c, "SET", "bl:layout", "4");
    must(co_await s->init_list(1));
    CHECK(must(co_await s->counts()).is_public == 123);
    const auto indexes = co_await raw_command(c, "KEYS", "bl:pubidx:*");
    CHECK(indexes.array()->empty());
    const auto layout = co_await raw_command(c, "GET", "bl:layout");
    CHECK((layout.string() ? *layout.string() : "") == "8");
    auto migrated = must(co_await s->list_public(all));
    REQUIRE(migrated.entries.size() == 50);
    for (std::size_t k = 0; k < 50; ++k)
      CHECK(migrated.entries[k].seq == shown[k + 1]);
    // A second start changes nothing.
    must(co_await s->init_list(1));
    CHECK(must(co_await s->counts()).is_public == 123);
    c->close();
  });
}
