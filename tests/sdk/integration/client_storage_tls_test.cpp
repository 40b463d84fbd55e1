// banlist::sdk::client's storage directory and TLS against a live banlistd:
// a warm restart answers at once and catches up from its seq without a new
// snapshot; corrupt stored files are discarded, never trusted; HTTPS/WSS
// verifies the server against a given CA (a wrong CA or host name is
// refused); plain HTTP only when the URL says http://.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include "live_support.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;

namespace {

banlist::fingerprint fp_from(const std::string& hex) {
  return *banlist::fingerprint::from_hex(hex);
}

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

void flip_byte(const std::filesystem::path& file, std::size_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x40));
}

void run(const std::string& command) {
  INFO(command);
  REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

// A CA and a server certificate it signed for DNS:localhost, in `dir`.
void make_pki(const std::filesystem::path& dir, const std::string& ca_name) {
  const std::string d = dir.string();
  run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + ca_name + " -keyout " + d +
      "/" + ca_name + ".key -out " + d + "/" + ca_name + ".pem");
}

void make_server_cert(const std::filesystem::path& dir, const std::string& ca_name) {
  const std::string d = dir.string();
  run("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d + "/server.key -out " +
      d + "/server.csr");
  {
    std::ofstream ext(dir / "ext.cnf");
    ext << "subjectAltName=DNS:localhost\n";
  }
  run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/" + ca_name + ".pem -CAkey " + d +
      "/" + ca_name + ".key -CAcreateserial -days 2 -extfile " + d + "/ext.cnf -out " + d +
      "/server.pem");
}

}  // namespace

TEST_CASE("warm restart from the storage directory answers at once and catches up",
          "[sdk][client][redis][storage]") {
  const auto mode = GENERATE(sdk::client_mode::replica, sdk::client_mode::filter);
  INFO("mode " << sdk::to_string(mode));
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  std::map<std::string, std::string> banned;
  ban_many(http, mod, "snap", 10, &banned);
  temp_directory dir("warm");
  const auto config = client_config_for(f.port(), partner, mode, dir.path());
  std::uint64_t stored_seq = 0;
  std::string live_fp;
  {
    auto client = open_client(config);
    client->start();
    REQUIRE(client->wait_until_current(20s));
    // Changes after the snapshot go to the stored delta log.
    stored_seq = ban_email(http, mod, "logged@example.com", &live_fp);
    REQUIRE(wait_for([&] { return client->status().replica.seq == stored_seq; }));
  }  // stop() writes the log
  CHECK(std::filesystem::exists(dir.path() / sdk::kStoredSnapshotName));
  CHECK(std::filesystem::exists(dir.path() / sdk::kStoredDeltaLogName));
  // Changes while the partner is down.
  std::string later_fp;
  const std::uint64_t head = ban_email(http, mod, "later@example.com", &later_fp);
  lift_fp(http, mod, live_fp);
  const std::uint64_t final_head = head + 1;

  auto client = open_client(config);
  auto st = client->status();
  CHECK(st.stored.snapshot_loaded);
  CHECK_FALSE(st.stored.snapshot_error);
  CHECK_FALSE(st.stored.log_error);
  CHECK(st.stored.batches_applied >= 1);
  CHECK(st.replica.seq == stored_seq);
  // Answers at once, before any network: the logged ban is known exactly.
  CHECK(client->check(fp_from(live_fp)).verdict == sdk::check_verdict::banned);
  CHECK(client->check(fp_from(later_fp)).verdict != sdk::check_verdict::banned);
  client->start();
  REQUIRE(wait_for([&] { return client->status().replica.seq == final_head; }));
  CHECK(client->status().replica.digest.to_hex() == server_at(http, partner, final_head).digest);
  CHECK(client->status().snapshots_loaded == 0);  // caught up from its seq
  CHECK(client->check(fp_from(live_fp)).verdict == sdk::check_verdict::not_banned);
  CHECK(client->check(fp_from(later_fp)).verdict == sdk::check_verdict::banned);
}

TEST_CASE("corrupt stored files are discarded and the client recovers from the server",
          "[sdk][client][redis][storage]") {
  service_fixture f(fast_service);
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto http = f.client();
  ban_many(http, mod, "c", 10);
  temp_directory dir("corrupt");
  const auto config = client_config_for(f.port(), partner, sdk::client_mode::replica, dir.path());
  std::uint64_t seq = 0;
  std::uint64_t snapshot_seq = 0;
  {
    auto client = open_client(config);
    client->start();
    REQUIRE(client->wait_until_current(20s));
    seq = ban_many(http, mod, "d", 3);
    REQUIRE(wait_for([&] { return client->status().replica.seq == seq; }));
    snapshot_seq = client->status().replica.snapshot_seq;
  }
  const auto snapshot_file = dir.path() / sdk::kStoredSnapshotName;
  const auto log_file = dir.path() / sdk::kStoredDeltaLogName;
  REQUIRE(std::filesystem::exists(log_file));
  const auto snapshot_size = std::filesystem::file_size(snapshot_file);
  const auto log_size = std::filesystem::file_size(log_file);

  SECTION("a damaged delta log: catch up from the stored snapshot's seq") {
    flip_byte(log_file, log_size - 3);
    auto client = open_client(config);
    auto st = client->status();
    CHECK(st.stored.snapshot_loaded);
    CHECK(st.stored.log_error);
    CHECK(st.replica.seq == snapshot_seq);
    CHECK_FALSE(std::filesystem::exists(log_file));  // deleted, never used
    client->start();
    REQUIRE(wait_for([&] { return client->status().replica.seq == seq; }));
    CHECK(client->status().snapshots_loaded == 0);
    CHECK(client->status().replica.digest.to_hex() == server_at(http, partner, seq).digest);
  }
  SECTION("a damaged snapshot: nothing is trusted, a new snapshot is fetched") {
    flip_byte(snapshot_file, snapshot_size / 2);
    auto client = open_client(config);
    auto st = client->status();
    CHECK_FALSE(st.stored.snapshot_loaded);
    CHECK(st.stored.snapshot_error);
    CHECK_FALSE(st.replica.loaded);
    CHECK(client->check(sdk::identifier_type::email, "c1@example.com")->verdict ==
          sdk::check_verdict::unknown);
    client->start();
    REQUIRE(wait_for([&] { return client->status().replica.seq == seq; }));
    CHECK(wait_for([&] { return client->status().snapshots_loaded == 1; }));
    CHECK(client->check(sdk::identifier_type::email, "c1@example.com")->verdict ==
          sdk::check_verdict::banned);
  }
}

TEST_CASE("HTTPS and WSS with certificate verification against a given CA",
          "[sdk][client][redis][tls]") {
  temp_directory pki("pki");
  make_pki(pki.path(), "goodca");
  make_pki(pki.path(), "otherca");
  make_server_cert(pki.path(), "goodca");
  service_fixture f([&](service::service_config& c) {
    fast_service(c);
    c.tls_cert = (pki.path() / "server.pem").string();
    c.tls_key = (pki.path() / "server.key").string();
  });
  REQUIRE(f.server().tls());
  http_client https(f.port(), true);
  const std::string port = std::to_string(f.port());
  temp_directory dir("tls");
  auto config = client_config_for(f.port(), kAdminKey, sdk::client_mode::replica, dir.path());

  SECTION("the right CA: snapshot over HTTPS, changes over WSS") {
    config.url = "https://localhost:" + port;
    config.ca_file = (pki.path() / "goodca.pem").string();
    auto client = open_client(config);
    client->start();
    REQUIRE(client->wait_until_current(20s));
    REQUIRE(wait_for([&] { return client->status().transport == sdk::sync_transport::websocket; }));
    auto r = https.post("/v1/bans", kAdminKey,
                        R"({"type":"email","value":"tls@example.com","reason":"phishing"})");
    REQUIRE(r.status == 201);
    REQUIRE(wait_for([&] { return client->status().replica.seq == 1; }));
    CHECK(client->check(sdk::identifier_type::email, "tls@example.com")->verdict ==
          sdk::check_verdict::banned);
    CHECK(client->status().transport == sdk::sync_transport::websocket);
    auto online = client->check_online(sdk::identifier_type::email, "tls@example.com");
    REQUIRE(online);
    CHECK(online->verdict == sdk::check_verdict::banned);
  }
  SECTION("another CA: refused, nothing loaded") {
    config.url = "https://localhost:" + port;
    config.ca_file = (pki.path() / "otherca.pem").string();
    auto client = open_client(config);
    client->start();
    REQUIRE(wait_for([&] { return !client->status().last_error.empty(); }));
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(client->status().replica.loaded);
    CHECK(client->status().last_error.find("certificate verify failed") != std::string::npos);
  }
  SECTION("the right CA but another host name: refused") {
    config.url = "https://127.0.0.1:" + port;  // the certificate names localhost only
    config.ca_file = (pki.path() / "goodca.pem").string();
    auto client = open_client(config);
    client->start();
    REQUIRE(wait_for([&] { return !client->status().last_error.empty(); }));
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(client->status().replica.loaded);
    CHECK(client->status().last_error.find("certificate verify failed") != std::string::npos);
  }
  SECTION("http:// to a TLS port does not fall back or succeed") {
    config.url = "http://localhost:" + port;
    auto client = open_client(config);
    client->start();
    REQUIRE(wait_for([&] { return !client->status().last_error.empty(); }));
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(client->status().replica.loaded);
  }
  SECTION("a URL without a scheme, or another scheme, is a configuration error") {
    for (const char* url : {"localhost:443", "ftp://localhost", "ws://localhost", "https://"}) {
      config.url = url;
      auto client = sdk::client::open(config);
      REQUIRE_FALSE(client);
      CHECK(client.error() == std::errc::invalid_argument);
    }
  }
  SECTION("an unreadable CA file is an error at open") {
    config.url = "https://localhost:" + port;
    config.ca_file = (pki.path() / "missing.pem").string();
    CHECK_FALSE(sdk::client::open(config));
  }
}

TEST_CASE("https:// to a plain-text port fails: no silent downgrade", "[sdk][client][redis][tls]") {
  service_fixture f(fast_service);
  temp_directory dir("downgrade");
  auto config = client_config_for(f.port(), kAdminKey, sdk::client_mode::filter, dir.path());
  config.url = "https://localhost:" + std::to_string(f.port());
  auto client = open_client(config);
  client->start();
  REQUIRE(wait_for([&] { return !client->status().last_error.empty(); }));
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(client->status().replica.loaded);
}
