// banlist::sdk::client when things go wrong, against a live banlistd and a
// real redis-server: a proxy that cannot carry WebSockets (long-poll
// fallback), a trimmed log (410 / reset), a rebuilt list (epoch change), a
// batch corrupted in transit (digest mismatch), banlistd restarts, and the
// server's pacing (Retry-After, min_wait_s). Throughout a resync the last
// good copy keeps answering.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <mutex>

#include "banlist/sdk/delta_binary.hpp"
#include "deltas_history.hpp"
#include "gate_proxy.hpp"
#include "live_support.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

banlist::fingerprint fp_from(const std::string& hex) {
  auto fp = banlist::fingerprint::from_hex(hex);
  if (!fp)
    throw std::runtime_error("bad fp " + hex);
  return *fp;
}

// Checks one fingerprint from another thread for as long as it lives and
// counts answers other than `expected`.
class steady_reader {
 public:
  steady_reader(const sdk::client& c, banlist::fingerprint fp, sdk::check_verdict expected)
      : thread_([this, &c, fp, expected] {
          while (running_) {
            if (c.check(fp).verdict != expected)
              ++wrong_;
            ++reads_;
          }
        }) {}
  ~steady_reader() { stop(); }
  void stop() {
    running_ = false;
    if (thread_.joinable())
      thread_.join();
  }
  std::uint64_t wrong() const { return wrong_; }
  std::uint64_t reads() const { return reads_; }

 private:
  std::atomic<bool> running_{true};
  std::atomic<std::uint64_t> wrong_{0}, reads_{0};
  std::thread thread_;
};

std::uint64_t ban_many(http_client& c, const std::string& mod, const std::string& tag, int n,
                       std::map<std::string, std::string>* banned = nullptr) {
  std::uint64_t seq = 0;
  for (int i = 0; i < n; ++i) {
    std::string fp, address = tag + std::to_string(i) + "@example.com";
    seq = ban_email(c, mod, address, &fp);
    if (banned)
      (*banned)[fp] = address;
  }
  return seq;
}

void require_converged(const sdk::client& client, http_client& http, const std::string& key,
                       std::uint64_t head) {
  REQUIRE(wait_for([&] { return client.status().replica.seq == head; }, 30s));
  CHECK(client.status().replica.digest.to_hex() == server_at(http, key, head).digest);
}

}  // namespace

TEST_CASE("a proxy that cannot carry WebSockets: the client long-polls", "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  ban_many(http, mod, "pre", 5);
  gate_proxy proxy(f.port());
  proxy.set_strip_upgrade(true);
  temp_directory dir("longpoll");
  auto config = client_config_for(proxy.port(), partner, sdk::client_mode::replica, dir.path());
  auto client = open_client(config);
  client->start();
  REQUIRE(wait_for([&] { return client->status().transport == sdk::sync_transport::long_poll; }));
  // The upgrade was asked for once, declined (banlistd answers the stripped
  // request with 426), and not retried while long-polling.
  const auto streams = proxy.log_of("/v1/stream");
  REQUIRE(streams.size() == 1);
  CHECK(streams[0].upgrade);

  std::string fp;
  const std::uint64_t seq = ban_email(http, mod, "polled@example.com", &fp);
  require_converged(*client, http, partner, seq);
  CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
  const std::uint64_t lift = lift_fp(http, mod, fp);
  require_converged(*client, http, partner, lift);
  CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::not_banned);
  CHECK(proxy.log_of("/v1/deltas").size() >= 2);
  CHECK(proxy.log_of("/v1/stream").size() == 1);
  CHECK(client->status().connected);
}

TEST_CASE("use_websocket = false: long-poll only", "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  gate_proxy proxy(f.port());
  temp_directory dir("nows");
  auto config = client_config_for(proxy.port(), partner, sdk::client_mode::filter, dir.path());
  config.use_websocket = false;
  auto client = open_client(config);
  client->start();
  const std::uint64_t seq = ban_many(http, mod, "x", 3);
  require_converged(*client, http, partner, seq);
  CHECK(wait_for([&] { return client->status().transport == sdk::sync_transport::long_poll; }));
  CHECK(proxy.log_of("/v1/stream").empty());
}

TEST_CASE("a cursor the log no longer holds: resync from a snapshot, answering meanwhile",
          "[sdk][client][redis]") {
  const bool websocket = GENERATE(true, false);
  INFO("websocket " << websocket);
  service_fixture f([](service::service_config& c) {
    fast_service(c);
    c.retention_interval = std::chrono::hours(1);  // trimmed by hand below
  });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  std::map<std::string, std::string> banned;
  const std::uint64_t first = ban_many(http, mod, "old", 20, &banned);
  temp_directory dir("trimmed");
  auto config = client_config_for(f.port(), partner, sdk::client_mode::replica, dir.path());
  config.use_websocket = websocket;
  {
    auto client = open_client(config);
    client->start();
    require_converged(*client, http, partner, first);
  }
  // While the partner is away: more changes, and the log is trimmed past it.
  const std::string lifted = banned.begin()->first;
  const std::string kept = std::next(banned.begin())->first;  // banned throughout
  lift_fp(http, mod, lifted);
  banned.erase(lifted);
  const std::uint64_t head = ban_many(http, mod, "new", 30, &banned);
  auto s = f.server().state().current_store();
  auto oldest = store_call([s, head] { return s->trim_log(head - 5); });
  REQUIRE(oldest.has_value());
  REQUIRE(http.get("/v1/deltas?since=" + std::to_string(first), partner).status == 410);

  auto client = open_client(config);
  CHECK(client->status().stored.snapshot_loaded);
  CHECK(client->status().replica.seq == first);
  // The stored copy answers before (and while) the resync.
  const auto anchor = fp_from(kept);
  CHECK(client->check(anchor).verdict == sdk::check_verdict::banned);
  steady_reader reader(*client, anchor, sdk::check_verdict::banned);
  client->start();
  require_converged(*client, http, partner, head);
  // On a busy machine the resync can finish before the reader thread first
  // runs; give it the chance to read at least once, then judge its answers.
  CHECK(wait_for([&] { return reader.reads() > 0; }));
  reader.stop();
  CHECK(reader.wrong() == 0);
  // At least one resync; more while the server's snapshot is older than
  // the log it kept (its cache catches up within snapshot_max_age).
  CHECK(wait_for([&] { return client->status().snapshots_loaded >= 1; }));
  CHECK(client->check(fp_from(lifted)).verdict == sdk::check_verdict::not_banned);
  CHECK(client->check(anchor).verdict == sdk::check_verdict::banned);
  for (const auto& [fp, address] : banned)
    CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
  auto newest = client->check(sdk::identifier_type::email, "new29@example.com");
  REQUIRE(newest);
  CHECK(newest->verdict == sdk::check_verdict::banned);
}

TEST_CASE("the list rebuilt from scratch (new epoch): the client resyncs", "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  auto http = f.client();
  const std::uint64_t seq = ban_many(http, mod, "gone", 10);
  temp_directory dir("epoch");
  // The admin key is registered at every start, so it survives the rebuild.
  auto client =
      open_client(client_config_for(f.port(), kAdminKey, sdk::client_mode::replica, dir.path()));
  client->start();
  require_converged(*client, http, kAdminKey, seq);
  const std::uint64_t old_epoch = client->status().replica.epoch;

  const std::uint16_t port = f.port();
  f.stop_server();
  const std::string flush = "redis-cli -s " + f.redis().unix_path() + " FLUSHALL >/dev/null";
  REQUIRE(std::system(flush.c_str()) == 0);
  f.config().listen_port = port;
  f.start_server();
  auto http2 = f.client();
  const std::string mod2 = f.issue_key("moderator");
  const std::uint64_t head = ban_many(http2, mod2, "fresh", 3);
  REQUIRE(head == 3);
  REQUIRE(wait_for(
      [&] {
        auto st = client->status().replica;
        return st.epoch != old_epoch && st.seq == head;
      },
      30s));
  CHECK(client->status().replica.epoch == f.server().state().epoch());
  CHECK(client->status().replica.count == 3);
  CHECK(client->check(sdk::identifier_type::email, "gone1@example.com")->verdict ==
        sdk::check_verdict::not_banned);
  CHECK(client->check(sdk::identifier_type::email, "fresh1@example.com")->verdict ==
        sdk::check_verdict::banned);
  CHECK(wait_for([&] { return client->status().snapshots_loaded == 2; }));
}

TEST_CASE("a batch corrupted in transit (digest mismatch): resync, old copy answers",
          "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  std::map<std::string, std::string> banned;
  const std::uint64_t first = ban_many(http, mod, "a", 10, &banned);
  gate_proxy proxy(f.port());
  proxy.set_strip_upgrade(true);  // long-poll, so the proxy sees each batch
  const std::uint16_t upstream = f.port();
  std::atomic<bool> tampered{false};
  proxy.set_policy([&](const proxied_request& r) -> std::optional<std::string> {
    if (tampered || !r.target.starts_with("/v1/deltas"))
      return std::nullopt;
    http_client c(upstream);
    auto real = c.request(boost::beast::http::verb::get, r.target, partner, "",
                          {{"Accept", std::string(sdk::kDeltaBinaryMediaType)}});
    auto batch = sdk::decode_delta_binary(
        std::span(reinterpret_cast<const std::uint8_t*>(real.body.data()), real.body.size()));
    if (real.status != 200 || !batch || batch->changes.empty())
      return http_response_bytes(real.status, "As upstream", real.header("content-type"),
                                 real.body);
    // A well-formed batch (valid checksum) whose digest is not the server's.
    batch->digest.low ^= 1;
    const auto bytes = sdk::encode_delta_binary(*batch);
    tampered = true;
    return http_response_bytes(200, "OK", real.header("content-type"),
                               std::string(bytes.begin(), bytes.end()));
  });
  temp_directory dir("tamper");
  auto client =
      open_client(client_config_for(proxy.port(), partner, sdk::client_mode::replica, dir.path()));
  client->start();
  require_converged(*client, http, partner, first);
  steady_reader reader(*client, fp_from(banned.begin()->first), sdk::check_verdict::banned);
  const std::uint64_t head = ban_many(http, mod, "b", 5, &banned);
  REQUIRE(wait_for([&] { return tampered.load(); }));
  require_converged(*client, http, partner, head);
  reader.stop();
  CHECK(reader.wrong() == 0);
  CHECK(wait_for([&] { return client->status().snapshots_loaded == 2; }));
  for (const auto& [fp, address] : banned)
    CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
}

TEST_CASE("banlistd restarted mid-stream: the client reconnects and misses nothing",
          "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  const std::uint16_t port = f.port();
  f.config().listen_port = port;  // restarts come back on the same port
  temp_directory dir("restart");
  auto client =
      open_client(client_config_for(port, partner, sdk::client_mode::replica, dir.path()));
  client->start();
  std::map<std::string, std::string> banned;
  std::uint64_t head = 0;
  for (int round = 0; round < 3; ++round) {
    auto http = f.client();
    head = ban_many(http, mod, "r" + std::to_string(round) + "-", 40, &banned);
    if (round == 2)
      break;
    // Stop while the client is following over the socket, then come back.
    REQUIRE(wait_for([&] {
      const auto st = client->status();
      return st.connected && st.transport == sdk::sync_transport::websocket &&
             st.replica.seq == head;
    }));
    f.stop_server();
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(client->status().connected);
    f.start_server();
  }
  auto http = f.client();
  require_converged(*client, http, partner, head);
  CHECK(client->status().reconnects >= 2);
  CHECK(client->status().snapshots_loaded == 1);  // resumed from its seq each time
  CHECK(client->status().replica.count == banned.size());
  for (const auto& [fp, address] : banned)
    CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
}

TEST_CASE("Retry-After is honoured over a shorter backoff", "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string partner = f.issue_key("partner");
  gate_proxy proxy(f.port());
  std::atomic<int> refused{0};
  proxy.set_policy([&](const proxied_request& r) -> std::optional<std::string> {
    if (!r.target.starts_with("/v1/snapshot") || refused.fetch_add(1) > 0)
      return std::nullopt;
    return http_response_bytes(503, "Service Unavailable", "application/json",
                               R"({"error":{"code":"busy","message":"later"}})",
                               "Retry-After: 2\r\n");
  });
  temp_directory dir("retry");
  auto client =
      open_client(client_config_for(proxy.port(), partner, sdk::client_mode::filter, dir.path()));
  client->start();
  REQUIRE(wait_for([&] { return client->status().replica.loaded; }, 20s));
  const auto snaps = proxy.log_of("/v1/snapshot");
  REQUIRE(snaps.size() == 2);
  CHECK(snaps[1].at - snaps[0].at >= 1900ms);  // backoff alone would be <= 50 ms
  CHECK(snaps[1].at - snaps[0].at < 4s);
}

TEST_CASE("min_wait_s paces long polls", "[sdk][client][redis]") {
  service_fixture f([](service::service_config& c) {
    fast_service(c);
    c.deltas_min_wait_s = 1;
  });
  const std::string partner = f.issue_key("partner");
  gate_proxy proxy(f.port());
  temp_directory dir("minwait");
  auto config = client_config_for(proxy.port(), partner, sdk::client_mode::filter, dir.path());
  config.use_websocket = false;
  config.long_poll_wait = 0s;  // the server answers at once; only min_wait_s paces
  auto client = open_client(config);
  client->start();
  REQUIRE(wait_for([&] { return proxy.log_of("/v1/deltas").size() >= 4; }, 20s));
  REQUIRE(wait_for([&] { return proxy.log_of("/v1/deltas").size() >= 5; }, 20s));
  // The first poll is the catch-up right after the snapshot; from then on
  // every answer said min_wait_s = 1 and nothing more.
  const auto polls = proxy.log_of("/v1/deltas");
  for (std::size_t i = 2; i < polls.size(); ++i)
    CHECK(polls[i].at - polls[i - 1].at >= 950ms);
}

// The WebSocket upgrade succeeds (101 reaches the client) but the path cuts
// the socket right after, before any frame: the socket can be had, not held.
TEST_CASE("a socket cut right after each upgrade: long-poll for a period, then the socket again",
          "[sdk][client][redis]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  ban_many(http, mod, "pre", 5);
  gate_proxy proxy(f.port());
  proxy.set_cut_upgraded(true);
  temp_directory dir("cut");
  auto config = client_config_for(proxy.port(), partner, sdk::client_mode::replica, dir.path());
  config.websocket_drop_limit = 3;
  config.websocket_drop_window = 30s;
  config.long_poll_period = 3s;
  auto client = open_client(config);
  client->start();
  REQUIRE(wait_for([&] { return client->status().long_poll_fallbacks == 1; }));
  const auto switched_at = std::chrono::steady_clock::now();
  {
    // Exactly the limit of upgrades, each answered 101 and then cut.
    const auto st = client->status();
    CHECK(st.websocket_drops == 3);
    CHECK(proxy.cut_count() == 3);
    const auto streams = proxy.log_of("/v1/stream");
    CHECK(streams.size() == 3);
    for (const auto& s : streams)
      CHECK(s.upgrade);
  }

  // While long-polling the client converges: a ban and its lift arrive.
  std::string fp;
  const std::uint64_t seq = ban_email(http, mod, "cut@example.com", &fp);
  require_converged(*client, http, partner, seq);
  CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
  const std::uint64_t lift = lift_fp(http, mod, fp);
  require_converged(*client, http, partner, lift);
  CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::not_banned);
  CHECK(client->status().transport == sdk::sync_transport::long_poll);
  CHECK(client->status().connected);
  CHECK(proxy.log_of("/v1/deltas?since=").size() >= 2);
  // No socket was tried during the period...
  for (const auto& s : proxy.log_of("/v1/stream"))
    CHECK(s.at < switched_at);

  // ...and after it the socket is tried again (still cut: a second fallback).
  REQUIRE(wait_for([&] { return client->status().long_poll_fallbacks == 2; }, 20s));
  const auto streams = proxy.log_of("/v1/stream");
  REQUIRE(streams.size() == 6);
  CHECK(streams[3].at - switched_at >= 3s);

  // Once the path holds sockets, the next try stays on the WebSocket.
  proxy.set_cut_upgraded(false);
  REQUIRE(wait_for(
      [&] {
        const auto st = client->status();
        return st.transport == sdk::sync_transport::websocket && st.connected;
      },
      20s));
  const std::uint64_t again = ban_email(http, mod, "held@example.com", &fp);
  require_converged(*client, http, partner, again);
  CHECK(client->check(fp_from(fp)).verdict == sdk::check_verdict::banned);
  CHECK(client->status().long_poll_fallbacks == 2);
  CHECK(client->status().snapshots_loaded == 1);
}

TEST_CASE("without the drop policy a cut socket is retried forever and deltas stall",
          "[sdk][client][redis]") {
  // The behaviour the policy exists for: websocket_drop_limit 0 keeps
  // retrying a socket that is cut after each upgrade.
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  gate_proxy proxy(f.port());
  proxy.set_cut_upgraded(true);
  temp_directory dir("cut-nopolicy");
  auto config = client_config_for(proxy.port(), partner, sdk::client_mode::replica, dir.path());
  config.websocket_drop_limit = 0;
  auto client = open_client(config);
  client->start();
  // The first drop comes after the snapshot and its catch-up poll: from
  // then on only the socket is tried.
  REQUIRE(wait_for([&] { return client->status().websocket_drops >= 1; }));
  const std::uint64_t seq = ban_email(http, mod, "stalled@example.com");
  REQUIRE(wait_for([&] { return client->status().websocket_drops >= 6; }, 20s));
  const auto st = client->status();
  CHECK(st.long_poll_fallbacks == 0);
  CHECK(st.replica.seq < seq);
  CHECK(proxy.log_of("/v1/deltas?since=").size() == 1);  // the catch-up after the snapshot only
}

TEST_CASE("the fallback settings are validated at open", "[sdk][client]") {
  temp_directory dir("fallback-config");
  auto config = client_config_for(1, "key", sdk::client_mode::replica, dir.path());
  REQUIRE(sdk::client::open(config));
  auto bad = config;
  bad.long_poll_period = 0s;
  auto opened = sdk::client::open(bad);
  REQUIRE_FALSE(opened);
  CHECK(opened.error() == std::errc::invalid_argument);
  bad = config;
  bad.websocket_drop_window = 0s;
  opened = sdk::client::open(bad);
  REQUIRE_FALSE(opened);
  CHECK(opened.error() == std::errc::invalid_argument);
  bad.websocket_drop_limit = 0;  // no policy: the window does not matter
  CHECK(sdk::client::open(bad));
}
