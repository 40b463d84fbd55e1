// banlist::sdk::client against a live banlistd and a real redis-server:
// bootstrap in both modes, changes over the WebSocket (acks, callbacks,
// lifts honoured before the next snapshot), convergence after many random
// changes, status values, and online confirmation of a filter hit.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <vector>

#include "banlist/sdk/snapshot.hpp"
#include "live_support.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

// Waits until GET /v1/snapshot serves the list at `seq` (the cache rebuilds
// within snapshot_max_age).
void wait_for_snapshot(http_client& c, const std::string& key, std::uint64_t seq) {
  REQUIRE(wait_for([&] {
    auto r = c.get("/v1/snapshot", key);
    if (r.status != 200)
      return false;
    auto snap = sdk::decode_snapshot(
        std::span(reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size()));
    return snap && snap->seq == seq;
  }));
}

banlist::fingerprint fp_from(const std::string& hex) {
  auto fp = banlist::fingerprint::from_hex(hex);
  if (!fp)
    throw std::runtime_error("bad fp " + hex);
  return *fp;
}

std::uint64_t applied_seq(const sdk::client& c) {
  return c.status().replica.seq;
}

// banlist_filter_builds from /metrics: filters installed so far.
std::uint64_t filter_builds(http_client& c) {
  const auto r = c.get("/metrics");
  const std::string name = "\nbanlist_filter_builds ";
  const auto at = r.body.find(name);
  if (r.status != 200 || at == std::string::npos)
    throw std::runtime_error("no banlist_filter_builds in /metrics");
  return std::stoull(r.body.substr(at + name.size()));
}

}  // namespace

TEST_CASE("filter mode: bootstrap, live bans and lifts, acks, callbacks, status",
          "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  std::string partner_id;
  const std::string partner = f.issue_key("partner", &partner_id);
  auto http = f.client();

  std::vector<std::string> before;
  for (int i = 0; i < 30; ++i) {
    std::string fp;
    ban_email(http, mod, "before" + std::to_string(i) + "@example.com", &fp);
    before.push_back(fp);
  }
  // A snapshot that holds all 30, so they are filter hits ("maybe").
  wait_for_snapshot(http, partner, 30);
  temp_directory dir("filter");
  auto client =
      open_client(client_config_for(f.port(), partner, sdk::client_mode::filter, dir.path()));

  // Nothing loaded yet: never "not banned" from an empty state.
  CHECK(client->check(fp_from(before[0])).verdict == sdk::check_verdict::unknown);
  auto unknown = client->check(sdk::identifier_type::email, "before0@example.com");
  REQUIRE(unknown);
  CHECK(unknown->verdict == sdk::check_verdict::unknown);

  std::mutex seen_mutex;
  std::vector<sdk::delta_change> seen;
  client->set_change_callback([&](const sdk::delta_change& c) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(c);
  });
  const auto started = std::chrono::system_clock::now();
  client->start();
  REQUIRE(client->wait_until_current(20s));

  auto st = client->status();
  CHECK(st.replica.mode == sdk::client_mode::filter);
  CHECK(st.replica.loaded);
  CHECK(st.replica.epoch == f.server().state().epoch());
  CHECK(st.replica.seq == 30);
  CHECK(st.replica.snapshot_seq <= 30);
  CHECK(st.replica.lag == 0);
  CHECK(st.snapshots_loaded == 1);
  CHECK(st.replica.last_sync >= started - 1s);
  CHECK(st.last_error.empty());
  // The served snapshot may lag the head (the server's cache): the changes
  // after it arrive as deltas, each through the callback once.
  std::size_t base = 0;
  {
    std::lock_guard lock(seen_mutex);
    base = seen.size();
    REQUIRE(base == st.replica.seq - st.replica.snapshot_seq);
    for (std::size_t i = 0; i < base; ++i)
      CHECK(seen[i].seq == st.replica.snapshot_seq + 1 + i);
  }
  REQUIRE(wait_for([&] { return client->status().transport == sdk::sync_transport::websocket; }));

  // Bans made before the snapshot are filter hits: "maybe", confirmed online.
  for (const auto& fp : before)
    CHECK(client->check(fp_from(fp)).verdict != sdk::check_verdict::not_banned);
  auto by_value = client->check(sdk::identifier_type::email, "  Before7@Example.com ");
  REQUIRE(by_value);
  CHECK(by_value->fp.to_hex() == before[7]);
  CHECK(by_value->verdict != sdk::check_verdict::not_banned);
  auto confirmed = client->check_online(sdk::identifier_type::email, "before7@example.com");
  REQUIRE(confirmed);
  CHECK(confirmed->verdict == sdk::check_verdict::banned);
  CHECK(confirmed->confirmed_online);
  auto innocent = client->check_online(sdk::identifier_type::email, "nobody@example.com");
  REQUIRE(innocent);
  CHECK(innocent->verdict == sdk::check_verdict::not_banned);

  // A live ban arrives over the WebSocket and answers "banned" with its reason.
  std::string live_fp;
  const std::uint64_t ban_seq = ban_email(http, mod, "live@example.com", &live_fp);
  REQUIRE(wait_for([&] { return applied_seq(*client) >= ban_seq; }));
  auto live = client->check(fp_from(live_fp));
  CHECK(live.verdict == sdk::check_verdict::banned);
  REQUIRE(live.reason);
  CHECK(*live.reason == sdk::ban_reason::telecom_fraud);
  REQUIRE(live.type);
  CHECK(*live.type == sdk::identifier_type::email);

  // Lifts stop matching as soon as their delta is applied: a live ban and a
  // ban from before the snapshot (still set in the filter).
  const std::uint64_t lift1 = lift_fp(http, mod, live_fp);
  const std::uint64_t lift2 = lift_fp(http, mod, before[3]);
  REQUIRE(wait_for([&] { return applied_seq(*client) >= lift2; }));
  CHECK(client->check(fp_from(live_fp)).verdict == sdk::check_verdict::not_banned);
  CHECK(client->check(fp_from(before[3])).verdict == sdk::check_verdict::not_banned);
  CHECK(client->status().replica.snapshot_seq < lift1);  // no new snapshot was needed

  // The digest matches the server's, and the ack reached it.
  REQUIRE(client->wait_until_current(10s));
  const auto point = server_at(http, partner, lift2);
  CHECK(client->status().replica.digest.to_hex() == point.digest);
  auto subscribed = [&] {
    auto r = http.get("/v1/subscribers", kAdminKey);
    if (r.status != 200)
      return false;
    for (auto s : r.json()["subscribers"].get_array()) {
      std::string_view key_id;
      std::uint64_t acked = 0;
      if (!s["key_id"].get(key_id) && key_id == partner_id && !s["applied_seq"].get(acked) &&
          acked == lift2)
        return true;
    }
    return false;
  };
  const bool acked = wait_for(subscribed, 10s);
  if (!acked) {
    const auto st_now = client->status();
    FAIL_CHECK("no ack of " << lift2 << " in " << http.get("/v1/subscribers", kAdminKey).body
                            << "; client reconnects " << st_now.reconnects << ", last error '"
                            << st_now.last_error << "'");
  }

  // One callback per applied change, in order.
  {
    std::lock_guard lock(seen_mutex);
    REQUIRE(seen.size() == base + 3);
    CHECK(seen[base].seq == ban_seq);
    CHECK(seen[base].op == sdk::change_op::ban);
    CHECK(seen[base + 1].seq == lift1);
    CHECK(seen[base + 1].op == sdk::change_op::lift);
    CHECK(seen[base + 2].seq == lift2);
    CHECK(seen[base + 2].fp.to_hex() == before[3]);
  }
  st = client->status();
  CHECK(st.batches_applied >= 3);
  CHECK(st.connected);
  CHECK(st.replica.head == lift2);
  client->stop();
  CHECK(client->status().transport == sdk::sync_transport::none);
  CHECK_FALSE(client->status().connected);
}

TEST_CASE(
    "replica mode: exact answers, and convergence to the server's digest after "
    "thousands of random changes",
    "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();

  std::map<std::string, std::string> banned;  // fp -> address
  for (int i = 0; i < 50; ++i) {
    std::string fp, address = "pre" + std::to_string(i) + "@example.com";
    ban_email(http, mod, address, &fp);
    banned[fp] = address;
  }
  temp_directory dir("replica");
  auto client =
      open_client(client_config_for(f.port(), partner, sdk::client_mode::replica, dir.path()));
  client->start();
  REQUIRE(client->wait_until_current(20s));
  auto st = client->status();
  CHECK(st.replica.mode == sdk::client_mode::replica);
  CHECK(st.replica.count == 50);
  auto exact = client->check(sdk::identifier_type::email, "pre9@example.com");
  REQUIRE(exact);
  CHECK(exact->verdict == sdk::check_verdict::banned);
  REQUIRE(exact->reason);
  CHECK(*exact->reason == sdk::ban_reason::telecom_fraud);
  auto clean = client->check(sdk::identifier_type::email, "pre9@example.org");
  REQUIRE(clean);
  CHECK(clean->verdict == sdk::check_verdict::not_banned);

  // A reader thread checks a ban that is never lifted the whole time:
  // applying deltas must never make it look unbanned.
  const banlist::fingerprint anchor = fp_from(banned.begin()->first);
  banned.erase(banned.begin());
  std::atomic<bool> reading{true};
  std::atomic<std::uint64_t> bad_answers{0}, reads{0};
  std::thread reader([&] {
    while (reading) {
      if (client->check(anchor).verdict != sdk::check_verdict::banned)
        ++bad_answers;
      ++reads;
    }
  });

  // Two writers make random bans and lifts over HTTP.
  constexpr int kChanges = 10000;
  std::atomic<int> made{0};
  std::mutex banned_mutex;
  auto writer = [&](unsigned seed) {
    auto c = f.client();
    std::mt19937 rng(seed);
    std::vector<std::string> mine;
    int i = 0;
    while (made.fetch_add(1) < kChanges) {
      if (!mine.empty() && rng() % 3 == 0) {
        const std::size_t k = rng() % mine.size();
        lift_fp(c, mod, mine[k]);
        std::lock_guard lock(banned_mutex);
        banned.erase(mine[k]);
        mine.erase(mine.begin() + static_cast<long>(k));
      } else {
        std::string fp, address = "w" + std::to_string(seed) + "-" + std::to_string(i++) + "@x.cn";
        ban_email(c, mod, address, &fp);
        mine.push_back(fp);
        std::lock_guard lock(banned_mutex);
        banned[fp] = address;
      }
    }
  };
  std::thread w1(writer, 1), w2(writer, 2);
  w1.join();
  w2.join();
  // A new connection: the writers can outlast the server's 60 s idle
  // timeout (75 s under ASan at -O0), which closes `http`.
  auto after = f.client();
  const std::uint64_t head = server_at(after, partner, 0).head;
  const bool converged = wait_for([&] { return applied_seq(*client) == head; }, 60s);
  reading = false;
  reader.join();
  REQUIRE(head == 50 + kChanges);
  if (!converged) {
    // What the client and the server say about the subscription, to tell
    // a stalled feed from a stalled client.
    const auto stuck = client->status();
    UNSCOPED_INFO(
        "client: seq " << stuck.replica.seq << " head " << stuck.replica.head << " transport "
                       << static_cast<int>(stuck.transport) << " connected " << stuck.connected
                       << " batches " << stuck.batches_applied << " reconnects " << stuck.reconnects
                       << " drops " << stuck.websocket_drops << " snapshots "
                       << stuck.snapshots_loaded << " error '" << stuck.last_error << "'");
    UNSCOPED_INFO("server /v1/status: " << after.get("/v1/status", mod).body);
  }
  REQUIRE(converged);
  CHECK(bad_answers == 0);
  CHECK(reads > 0);

  st = client->status();
  CHECK(st.replica.digest.to_hex() == server_at(after, partner, head).digest);
  CHECK(st.replica.count == banned.size() + 1);
  CHECK(st.snapshots_loaded == 1);  // followed by deltas only
  for (const auto& [fp, address] : banned) {
    auto r = client->check(sdk::identifier_type::email, address);
    REQUIRE(r);
    CHECK(r->verdict == sdk::check_verdict::banned);
  }
  CHECK(client->check(sdk::identifier_type::email, "w1-0@x.cn")->verdict !=
        sdk::check_verdict::unknown);
}

TEST_CASE("replica mode: changes a filter rebuild caught up on still reach the subscriber",
          "[sdk][client][redis]") {
  // A rebuild for room (here: lifts past 10% of the filter) catches the new
  // filter up with the log by itself. What it read past the changes already
  // published must be published too: when the writers stop right then, no
  // later change brings the subscribers there. Bursts of half lifts make a
  // rebuild every ~64 lifts, so many bursts end close to one.
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  temp_directory dir("rebuild");
  auto client =
      open_client(client_config_for(f.port(), partner, sdk::client_mode::replica, dir.path()));
  client->start();
  REQUIRE(client->wait_until_current(20s));
  const std::uint64_t builds_before = filter_builds(http);

  constexpr int kBursts = 50;
  constexpr int kPerWriter = 70;
  std::uint64_t expected_head = 0;
  for (int burst = 0; burst < kBursts; ++burst) {
    auto writer = [&](int w) {
      auto c = f.client();
      std::vector<std::string> mine;
      for (int i = 0; i < kPerWriter; ++i) {
        if (i % 2 == 1) {
          lift_fp(c, mod, mine.back());
          mine.pop_back();
        } else {
          std::string fp, address = "w";
          address += std::to_string(w) + "-" + std::to_string(burst) + "-" + std::to_string(i);
          ban_email(c, mod, address + "@x.cn", &fp);
          mine.push_back(fp);
        }
      }
    };
    std::thread w1(writer, 1), w2(writer, 2);
    w1.join();
    w2.join();
    expected_head += 2 * kPerWriter;
    auto c = f.client();
    const std::uint64_t head = server_at(c, partner, 0).head;
    REQUIRE(head == expected_head);
    const bool converged = wait_for([&] { return applied_seq(*client) == head; }, 10s);
    if (!converged) {
      const auto st = client->status();
      UNSCOPED_INFO("burst " << burst << ": client at seq " << st.replica.seq << ", head " << head
                             << ", filter builds " << filter_builds(c) - builds_before);
    }
    REQUIRE(converged);
  }
  // The bursts did make the server rebuild its filter, again and again.
  CHECK(filter_builds(http) - builds_before >= kBursts);
  CHECK(client->status().replica.count == 0);  // every ban was lifted again
  client->stop();
}
