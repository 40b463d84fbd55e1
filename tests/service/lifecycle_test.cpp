// Start, readiness, Redis outages, restarts, graceful shutdown, TLS.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;

namespace {

std::filesystem::path temp_dir(const char* tag) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("banlist-") + tag + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("readyz is 503 until Redis answers and the filter is loaded",
          "[http][redis][lifecycle]") {
  service_fixture f({}, true);
  f.stop_server();
  // A stopped redis-server accepts connections but answers nothing.
  REQUIRE(::kill(f.redis().pid(), SIGSTOP) == 0);
  f.config().redis_timeout = std::chrono::milliseconds(300);
  f.start_server(false);
  auto c = f.client();
  auto early = c.get("/readyz");
  CHECK(early.status == 503);
  CHECK_FALSE(json_string(early, "/reason").empty());
  CHECK(c.get("/healthz").status == 200);  // alive, just not ready
  auto check = c.get("/v1/check?fp=" + std::string(32, 'c'), kAdminKey);
  CHECK(check.status == 503);
  REQUIRE(::kill(f.redis().pid(), SIGCONT) == 0);
  REQUIRE(f.server().wait_ready(std::chrono::seconds(20)));
  CHECK(c.get("/readyz").status == 200);
}

TEST_CASE("Redis down: writes 503 with Retry-After, checks answer from memory",
          "[http][redis][lifecycle]") {
  service_fixture f(
      [](service::service_config& c) { c.redis_timeout = std::chrono::milliseconds(500); });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  REQUIRE(
      c.post("/v1/bans", mod, R"({"type":"email","value":"down@example.com","reason":"phishing"})")
          .status == 201);
  // Warm the key cache for the partner (it stays usable while Redis is out).
  REQUIRE(c.get("/v1/check?type=email&value=x%40example.com", partner).status == 200);
  REQUIRE(c.get("/v1/bans", mod).status == 200);

  f.redis().stop();
  auto write =
      c.post("/v1/bans", mod, R"({"type":"email","value":"new@example.com","reason":"phishing"})");
  CHECK(write.status == 503);
  CHECK_FALSE(write.header("retry-after").empty());
  CHECK((write.error_code() == "store_unavailable" || write.error_code() == "outcome_unknown"));

  auto miss = c.get("/v1/check?type=email&value=clean%40example.com", partner);
  REQUIRE(miss.status == 200);
  CHECK_FALSE(json_bool(miss, "/banned", true));
  CHECK(json_bool(miss, "/degraded"));

  auto hit = c.get("/v1/check?type=email&value=down%40example.com", partner);
  REQUIRE(hit.status == 200);
  CHECK(json_bool(hit, "/banned"));  // never "not banned" for an unconfirmed hit
  CHECK_FALSE(json_bool(hit, "/confirmed", true));
  CHECK(json_bool(hit, "/degraded"));
  // The JSON batch says the same per item, and degraded once for the whole.
  auto batch = c.post("/v1/check", partner,
                      R"({"items":[{"type":"email","value":"clean@example.com"},)"
                      R"({"type":"email","value":"down@example.com"},{"fp":"zz"}]})");
  REQUIRE(batch.status == 200);
  CHECK(json_bool(batch, "/degraded"));
  CHECK_FALSE(json_bool(batch, "/results/0/banned", true));
  CHECK(json_bool(batch, "/results/1/banned"));
  CHECK_FALSE(json_bool(batch, "/results/1/confirmed", true));
  CHECK(json_string(batch, "/results/2/error/code") == "invalid_fingerprint");
  CHECK(c.get("/readyz").status == 503);

  f.redis().restart();
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = c.get("/readyz").status == 200;
    if (!ready)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(ready);
  auto confirmed = c.get("/v1/check?type=email&value=down%40example.com", partner);
  CHECK(json_bool(confirmed, "/banned"));
  CHECK(json_bool(confirmed, "/confirmed", true));
}

TEST_CASE("a restarted banlistd keeps bans and keys", "[http][redis][lifecycle]") {
  service_fixture f;
  const std::string mod = f.issue_key("moderator");
  {
    auto c = f.client();
    REQUIRE(
        c.post("/v1/bans", mod, R"({"type":"domain","value":"kept.example","reason":"phishing"})")
            .status == 201);
  }
  f.stop_server();
  f.start_server();
  auto c = f.client();
  auto r = c.get("/v1/check?type=domain&value=kept.example", mod);
  REQUIRE(r.status == 200);
  CHECK(json_bool(r, "/banned"));
}

TEST_CASE("embedded mode: one command, data survives a restart", "[http][redis][lifecycle]") {
  const auto dir = temp_dir("embedded");
  service::service_config config;
  config.listen_port = 0;
  config.threads = 2;
  config.data_dir = (dir / "data").string();
  config.admin_key = kAdminKey;
  config.filter_capacity = 1000;
  std::string fp;
  {
    auto s = service::server::start(config, {});
    REQUIRE(s);
    REQUIRE((*s)->embedded_redis());
    REQUIRE((*s)->wait_ready(std::chrono::seconds(20)));
    http_client c((*s)->port());
    auto ban = c.post("/v1/bans", kAdminKey,
                      R"({"type":"app","value":"com.scam.app","reason":"phishing"})");
    REQUIRE(ban.status == 201);
    fp = json_string(ban, "/fp");
    (*s)->stop();
    REQUIRE((*s)->wait());
  }
  CHECK(std::filesystem::exists(dir / "data"));
  {
    auto s = service::server::start(config, {});
    REQUIRE(s);
    REQUIRE((*s)->wait_ready(std::chrono::seconds(20)));
    http_client c((*s)->port());
    auto r = c.get("/v1/check?fp=" + fp, kAdminKey);
    REQUIRE(r.status == 200);
    CHECK(json_bool(r, "/banned"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a different seed on an existing list refuses to start", "[http][redis][lifecycle]") {
  service_fixture f;
  f.stop_server();
  f.config().seed = kTestSeed + 1;
  auto s = service::server::start(f.config(), {});
  REQUIRE(s);
  CHECK_FALSE((*s)->wait_ready(std::chrono::seconds(5)));
  auto outcome = (*s)->wait();
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().find("seed") != std::string::npos);
}

TEST_CASE("graceful shutdown finishes the request in flight and closes idle connections",
          "[http][redis][lifecycle]") {
  service_fixture f([](service::service_config& c) { c.redis_timeout = std::chrono::seconds(5); });
  const std::string mod = f.issue_key("moderator");
  auto idle = f.client();
  REQUIRE(idle.get("/healthz").status == 200);  // keep-alive, now idle

  // Hold Redis so the ban is in flight when shutdown begins.
  REQUIRE(::kill(f.redis().pid(), SIGSTOP) == 0);
  auto in_flight = std::async(std::launch::async, [&] {
    http_client c(f.port());
    return c.post("/v1/bans", mod,
                  R"({"type":"email","value":"late@example.com","reason":"phishing"})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto port = f.port();
  f.server().stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The idle connection was closed and nothing new is accepted.
  CHECK_THROWS(idle.get("/healthz"));
  CHECK_THROWS(http_client(port).get("/healthz"));
  REQUIRE(::kill(f.redis().pid(), SIGCONT) == 0);
  auto reply = in_flight.get();
  CHECK(reply.status == 201);
  CHECK(reply.closed);
  CHECK(f.server().wait());
}

TEST_CASE("TLS listener with a self-signed certificate", "[http][redis][tls]") {
  const auto dir = temp_dir("tls");
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
      " -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  service_fixture f([&](service::service_config& c) {
    c.tls_cert = cert;
    c.tls_key = key;
  });
  CHECK(f.server().tls());
  http_client c(f.port(), true);
  auto r = c.get("/healthz");
  CHECK(r.status == 200);
  auto keys = c.get("/v1/keys", kAdminKey);
  CHECK(keys.status == 200);
  // A plain-text client gets nothing useful from the TLS port.
  CHECK_THROWS(http_client(f.port()).get("/healthz"));
  std::filesystem::remove_all(dir);
}
