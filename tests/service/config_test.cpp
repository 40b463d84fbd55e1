#include <catch2/catch.hpp>

#include <map>

#include "config.hpp"

using namespace banlist::service;

namespace {

std::expected<config_outcome, std::string> parse(std::vector<std::string> args,
                                                 std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "banlistd");
  return parse_config(args, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

}  // namespace

TEST_CASE("config defaults", "[http][config]") {
  auto c = parse({});
  REQUIRE(c);
  CHECK(c->config.listen_host == "127.0.0.1");
  CHECK(c->config.listen_port == 8080);
  CHECK(c->config.redis_url.empty());
  CHECK(c->config.data_dir == "./banlist-data");
  CHECK(c->config.header_limit == 8192);
  CHECK(c->config.body_limit == 1024 * 1024);
  CHECK(c->config.batch_max_items == 10000);
  CHECK(c->config.read_timeout == std::chrono::seconds(10));
  CHECK(c->config.idle_timeout == std::chrono::seconds(60));
  CHECK(c->config.shutdown_timeout == std::chrono::seconds(25));
  CHECK(c->config.threads >= 1);
  CHECK_FALSE(c->config.seed);
  CHECK(c->config.admin_key.empty());
}

TEST_CASE("flags and environment, the flag wins", "[http][config]") {
  auto c = parse({"--listen", "0.0.0.0:9000", "--threads=3"},
                 {{"BANLIST_LISTEN", "127.0.0.1:1"},
                  {"BANLIST_REDIS", "redis://10.0.0.1:6380/2"},
                  {"BANLIST_SEED", "0x2a"},
                  {"BANLIST_MAX_CONNECTIONS", "7"},
                  {"BANLIST_ADMIN_KEY", "0123456789abcdef-admin"}});
  REQUIRE(c);
  CHECK(c->config.listen_host == "0.0.0.0");
  CHECK(c->config.listen_port == 9000);
  CHECK(c->config.threads == 3);
  CHECK(c->config.redis_url == "redis://10.0.0.1:6380/2");
  REQUIRE(c->config.seed);
  CHECK(*c->config.seed == 42);
  CHECK(c->config.max_connections == 7);
  CHECK(c->config.admin_key == "0123456789abcdef-admin");
}

TEST_CASE("bad configuration is a clear error", "[http][config]") {
  auto bad_listen = parse({"--listen", "nohostport"});
  REQUIRE_FALSE(bad_listen);
  CHECK(bad_listen.error().find("--listen") != std::string::npos);
  CHECK_FALSE(parse({"--listen", "1.2.3.4:99999"}));
  CHECK_FALSE(parse({"--seed", "12abc"}));
  CHECK_FALSE(parse({"--no-such-flag"}));
  CHECK_FALSE(parse({"--threads", "many"}));
  CHECK_FALSE(parse({"--tls-cert", "a.pem"}));  // key missing
  CHECK_FALSE(parse({"--filter-fp-rate", "0"}));
  CHECK_FALSE(parse({}, {{"BANLIST_BODY_LIMIT", "-5"}}));
}

TEST_CASE("--help prints every flag", "[http][config]") {
  auto c = parse({"--help"});
  REQUIRE(c);
  CHECK(c->show_help);
  for (const char* flag : {"--listen", "--redis", "--data", "--seed", "--threads", "--tls-cert",
                           "--max-connections", "BANLIST_ADMIN_KEY"}) {
    CHECK(c->help_text.find(flag) != std::string::npos);
  }
}

TEST_CASE("listen addresses", "[http][config]") {
  auto v6 = parse_listen_address("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->first == "::1");
  CHECK(v6->second == 0);
  CHECK_FALSE(parse_listen_address(":80"));
  CHECK_FALSE(parse_listen_address("host:"));
}

TEST_CASE("the start-up checkpoint: on by default only with the embedded Redis", "[http][config]") {
  auto embedded = parse({"--data", "/srv/bl"});
  REQUIRE(embedded);
  CHECK(embedded->config.checkpoint_path == "/srv/bl/checkpoint.fps");
  CHECK(embedded->config.checkpoint_interval == std::chrono::minutes(10));

  auto external = parse({"--redis", "redis://127.0.0.1:6379/0"});
  REQUIRE(external);
  CHECK(external->config.checkpoint_path.empty());

  auto named = parse({"--redis", "redis://127.0.0.1:6379/0"}, {{"BANLIST_CHECKPOINT", "/x/cp"}});
  REQUIRE(named);
  CHECK(named->config.checkpoint_path == "/x/cp");

  auto off = parse({"--checkpoint", "none"});
  REQUIRE(off);
  CHECK(off->config.checkpoint_path.empty());

  // The served snapshot files: DATA/snapshots with the embedded Redis; with
  // --redis a private temp directory (empty here) unless named.
  CHECK(embedded->config.snapshot_dir == "/srv/bl/snapshots");
  CHECK(external->config.snapshot_dir.empty());
  auto dir = parse({"--redis", "redis://127.0.0.1:6379/0", "--snapshot-dir", "/x/snaps"});
  REQUIRE(dir);
  CHECK(dir->config.snapshot_dir == "/x/snaps");

  auto too_often = parse({"--checkpoint-interval-ms", "999"});
  REQUIRE_FALSE(too_often);
  CHECK(too_often.error().find("checkpoint-interval-ms") != std::string::npos);
}
