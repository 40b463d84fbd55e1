// kill -9 of redis-server during 1,000 concurrent bans (appendfsync always),
// then restart on the same data: every acknowledged ban is there, and
// nothing is half-applied (record, seq, log, banned set and digest agree).
//
// Note (g++ 12): no co_await inside Catch2 macros; see store.hpp.
#include <map>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "banned_layout.hpp"
#include "record_layout.hpp"
#include "redis_server.hpp"
#include "run_async.hpp"
#include "store/record_codec.hpp"
#include "store/redis_connection.hpp"
#include "store/store.hpp"

namespace asio = boost::asio;
using namespace banlist;
using namespace banlist::service;
using namespace std::chrono_literals;

namespace {

fingerprint fp_of(std::uint64_t i) {
  return {0xff51afd7ed558ccdULL * (i + 3), (0xc4ceb9fe1a85ec53ULL * (i + 11)) ^ (i << 9)};
}

struct run_state {
  test::redis_server* redis = nullptr;
  std::set<fingerprint> acknowledged;
  std::size_t unknown = 0;
  std::size_t unavailable = 0;
  bool killed = false;
};

asio::awaitable<void> ban_one(std::shared_ptr<store> s, std::uint64_t i,
                              std::shared_ptr<run_state> state) {
  ban_record r;
  r.fp = fp_of(i);
  r.type = sdk::identifier_type::email;
  r.value = "user" + std::to_string(i) + "@example.com";
  r.masked = "u***@example.com";
  r.reason = "fraud";
  actor who{"k-test", "127.0.0.1", "req"};
  auto outcome = co_await s->ban(std::move(r), std::move(who));
  if (outcome) {
    state->acknowledged.insert(fp_of(i));
    // Crash Redis while hundreds of bans are still in flight.
    if (state->acknowledged.size() == 300 && !state->killed) {
      state->killed = true;
      state->redis->kill9();
    }
  } else if (outcome.error().code == store_errc::outcome_unknown) {
    ++state->unknown;
  } else if (outcome.error().code == store_errc::unavailable) {
    ++state->unavailable;
  } else {
    FAIL("unexpected error: " << outcome.error().message);
  }
}

template <class... Args>
asio::awaitable<store_result<redis_value>> raw(std::shared_ptr<redis_connection> c, Args... args) {
  return c->execute(std::vector<std::string>{std::string(args)...}, 10s);
}

}  // namespace

TEST_CASE("kill -9 during 1,000 concurrent bans loses no acknowledged ban and half-applies none",
          "[redis][durability][slow]") {
  test::redis_server redis;  // appendfsync always
  auto state = std::make_shared<run_state>();
  state->redis = &redis;
  test::run_async([&](auto executor) -> asio::awaitable<void> {
    store_options options;
    options.command_timeout = 2s;
    auto opened = co_await open_redis_store(executor, redis.endpoint(), options);
    REQUIRE(opened.has_value());
    std::shared_ptr<store> s = *opened;
    std::vector<asio::awaitable<void>> tasks;
    for (std::uint64_t i = 0; i < 1000; ++i)
      tasks.push_back(ban_one(s, i, state));
    co_await test::wait_all(std::move(tasks));
  });
  REQUIRE(state->killed);
  CHECK(state->acknowledged.size() >= 300);
  CHECK(state->acknowledged.size() < 1000);  // the crash did cut some off
  WARN("acknowledged " << state->acknowledged.size() << ", outcome unknown " << state->unknown
                       << ", unavailable " << state->unavailable);

  redis.restart();  // same data dir: replays the AOF

  test::run_async([&](auto executor) -> asio::awaitable<void> {
    redis_connection::config cfg;
    cfg.endpoint = redis.endpoint();
    auto c = redis_connection::create(executor, cfg);
    auto ready = co_await c->wait_connected(10s);
    REQUIRE(ready.has_value());

    auto seq_reply = co_await raw(c, "GET", "bl:seq");
    REQUIRE(seq_reply.has_value());
    REQUIRE(seq_reply->string());
    const auto head = parse_u64(*seq_reply->string()).value();
    CHECK(head >= state->acknowledged.size());

    // The log has exactly one entry per seq 1..head, with a running digest
    // (stored at every 16th seq, which must have it).
    auto log = co_await raw(c, "XRANGE", "bl:log", "-", "+");
    REQUIRE(log.has_value());
    REQUIRE(log->array());
    REQUIRE(log->array()->size() == head);
    std::set<fingerprint> logged;
    fingerprint running;
    std::uint64_t expected_seq = 1;
    for (const auto& entry : *log->array()) {
      auto ch = decode_change(entry);
      REQUIRE(ch.has_value());
      CHECK(ch->seq == expected_seq++);
      CHECK(ch->op == change_op::ban);
      running.high ^= ch->fp.high;
      running.low ^= ch->fp.low;
      if (ch->has_digest)
        CHECK(ch->digest == running);
      else
        CHECK(ch->seq % 16 != 0);
      logged.insert(ch->fp);
    }
    CHECK(logged.size() == head);

    // The banned set is exactly the logged set; the digest matches it.
    auto members = co_await raw(c, "EVAL", test::kAllBannedScript, "0", "bl:bans");
    REQUIRE(members.has_value());
    INFO((members->error() ? members->error()->message : std::string("the layout is consistent")));
    REQUIRE(members->array());
    std::set<fingerprint> banned;
    fingerprint recomputed;
    for (const auto& m : *members->array()) {
      auto fp = fingerprint::from_hex(*m.string()).value();
      banned.insert(fp);
      recomputed.high ^= fp.high;
      recomputed.low ^= fp.low;
    }
    CHECK(banned == logged);
    auto digest = co_await raw(c, "GET", "bl:digest");
    REQUIRE(digest.has_value());
    REQUIRE(digest->string());
    CHECK(*digest->string() == recomputed.to_hex());

    // Every acknowledged ban survived.
    for (const auto& fp : state->acknowledged) {
      if (!banned.contains(fp))
        FAIL("acknowledged ban lost: " << fp.to_hex());
    }

    // Every record has a log entry with its seq and vice versa.
    auto records = co_await raw(c, "EVAL", test::kRecordCountScript, "0", "bl:rec");
    REQUIRE(records.has_value());
    REQUIRE(records->integer());
    CHECK(*records->integer() == static_cast<std::int64_t>(head));
    std::map<std::uint64_t, fingerprint> by_seq;
    for (const auto& entry : *log->array()) {
      auto ch = decode_change(entry).value();
      by_seq[ch.seq] = ch.fp;
    }
    for (const auto& fp : banned) {
      auto rec = co_await c->execute(test::record_value_command(fp.to_hex(), "seq"), 10s);
      REQUIRE(rec.has_value());
      REQUIRE(rec->string());
      const auto seq = parse_u64(*rec->string()).value();
      CHECK(by_seq[seq] == fp);
    }
    auto audit_len = co_await raw(c, "XLEN", "bl:audit");
    REQUIRE(audit_len.has_value());
    CHECK(static_cast<std::uint64_t>(*audit_len->integer()) == head);
    c->close();
  });
}
