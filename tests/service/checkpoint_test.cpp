// The start-up checkpoint (deltas/snapshot_checkpoint.hpp): the rules that
// decide whether Redis continues a checkpoint (unit), reading missing and
// damaged files, and restarts of a real banlistd on a real Redis: with a
// good checkpoint it makes no scan of the banned set at all and still ends
// with the exact list; with a damaged or foreign one it scans, and is just
// as exact.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "banlist/sdk/snapshot.hpp"
#include "deltas/snapshot_checkpoint.hpp"
#include "deltas_history.hpp"

namespace banlist::test {
namespace {

namespace fs = std::filesystem;

service::checkpoint checkpoint_at(std::uint64_t seq, fingerprint digest) {
  service::checkpoint cp;
  cp.epoch = 11;
  cp.seed = 22;
  cp.seq = seq;
  cp.digest = digest;
  return cp;
}

service::change entry(std::uint64_t seq, fingerprint fp, fingerprint digest_after) {
  service::change c;
  c.seq = seq;
  c.fp = fp;
  c.digest = digest_after;
  return c;
}

std::span<const std::uint8_t> bytes_of(const std::string& body) {
  return {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()};
}

// The served exact list once it covers the filter's seq.
sdk::snapshot served_list(service_fixture& f, const std::string& key) {
  auto c = f.client();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    auto r = c.get("/v1/snapshot?format=fps", key);
    if (r.status == 200 &&
        std::stoull(r.header("x-banlist-seq")) >= f.server().state().filter().seq()) {
      auto decoded = sdk::decode_snapshot(bytes_of(r.body));
      if (!decoded)
        throw std::runtime_error("served snapshot does not decode");
      return std::move(*decoded);
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no current snapshot");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void wait_for_file(const fs::path& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!fs::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no checkpoint written at " + path.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The list the server ends with equals the model: the served snapshot entry
// by entry, and every banned fingerprint in the check filter.
void require_exact(service_fixture& f, const std::string& key, const delta_history& history) {
  const auto list = served_list(f, key);
  CHECK(list.digest == history.digest());
  REQUIRE(list.entries.size() == history.banned().size());
  auto it = history.banned().begin();
  for (const auto& e : list.entries) {
    REQUIRE(e.fp == it->first);
    REQUIRE(e.type == it->second.type);
    REQUIRE(e.reason == it->second.reason);
    REQUIRE(f.server().state().filter().may_contain(e.fp));
    ++it;
  }
}

// A fixture whose banlistd keeps a checkpoint in the Redis's temp dir.
fs::path enable_checkpoint(service_fixture& f) {
  const fs::path path = f.redis().data_dir() / "checkpoint" / "checkpoint.fps";
  f.stop_server();
  f.config().checkpoint_path = path.string();
  f.config().snapshot_max_changes = 100;  // snapshots follow the list closely
  f.config().snapshot_max_age = std::chrono::milliseconds(200);
  f.start_server();
  return path;
}

}  // namespace

TEST_CASE("checkpoint: Redis continues it only with the same history", "[checkpoint]") {
  const fingerprint d{0xaa, 0xbb};
  const fingerprint next_fp{0x01, 0x02};
  const fingerprint after{d.high ^ next_fp.high, d.low ^ next_fp.low};
  service::change_log_state log;
  log.head = 10;
  log.digest = fingerprint{0x55, 0x66};
  log.oldest = 1;
  const auto next = entry(6, next_fp, after);

  SECTION("behind the head, the log holds seq + 1 and agrees") {
    CHECK(service::continues(checkpoint_at(5, d), 11, 22, log, &next).has_value());
  }
  SECTION("at the head, with the head's digest") {
    log.head = 5;
    log.digest = d;
    CHECK(service::continues(checkpoint_at(5, d), 11, 22, log, nullptr).has_value());
  }
  SECTION("at the head with another digest: another history") {
    log.head = 5;
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 11, 22, log, nullptr).has_value());
  }
  SECTION("another epoch or seed: another list") {
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 12, 22, log, &next).has_value());
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 11, 23, log, &next).has_value());
  }
  SECTION("Redis went back below it") {
    log.head = 4;
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 11, 22, log, nullptr).has_value());
  }
  SECTION("the log was trimmed past seq + 1") {
    log.oldest = 7;
    const auto later = entry(7, next_fp, after);
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 11, 22, log, &later).has_value());
    CHECK_FALSE(service::continues(checkpoint_at(5, d), 11, 22, log, nullptr).has_value());
  }
  SECTION("the next entry's digest does not lead back to the checkpoint's") {
    const auto other = entry(6, next_fp, fingerprint{0x77, 0x88});
    auto why = service::continues(checkpoint_at(5, d), 11, 22, log, &other);
    REQUIRE_FALSE(why.has_value());
    CHECK(why.error().find("another history") != std::string::npos);
  }
}

TEST_CASE("checkpoint: a missing file is no checkpoint and a damaged one an error",
          "[checkpoint]") {
  const fs::path dir = fs::temp_directory_path() / ("banlist-cp-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / "checkpoint.fps";
  auto none = service::read_checkpoint(path.string());
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());

  const std::vector<sdk::snapshot_entry> entries{
      {fingerprint{1, 2}, sdk::identifier_type::email, sdk::ban_reason::spam},
      {fingerprint{3, 4}, sdk::identifier_type::phone, sdk::ban_reason::phishing}};
  const auto body = sdk::encode_snapshot_fps(5, 9, sdk::digest_of(entries), 77, entries);
  REQUIRE(service::write_checkpoint(path.string(), body).has_value());
  auto good = service::read_checkpoint(path.string());
  REQUIRE(good.has_value());
  REQUIRE(good->has_value());
  CHECK((*good)->epoch == 5);
  CHECK((*good)->seq == 9);
  CHECK((*good)->seed == 77);
  REQUIRE((*good)->entries.size() == 2);
  CHECK((*good)->entries[1].fp == fingerprint{3, 4});

  SECTION("torn") {
    fs::resize_file(path, body.size() - 7);
    CHECK_FALSE(service::read_checkpoint(path.string()).has_value());
  }
  SECTION("a flipped byte") {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(body.size() - 3);
    file.seekg(at);
    const char was = static_cast<char>(file.get());
    file.seekp(at);
    file.put(static_cast<char>(was ^ 0x5a));
    file.close();
    CHECK_FALSE(service::read_checkpoint(path.string()).has_value());
  }
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: a restart loads it and replays the log without scanning the banned set",
          "[checkpoint][redis]") {
  service_fixture f;
  const auto path = enable_checkpoint(f);
  const auto partner = f.issue_key("partner");
  delta_history history(91);
  history.run(f, 100);
  served_list(f, partner);  // a snapshot is published, so a checkpoint gets written
  wait_for_file(path);
  // Changes after the checkpoint (the next one is due in 10 minutes): only
  // the log has them, and many more bans than the checkpoint holds. The
  // filter made from it must have room for them, or it overflows on the
  // replay and is rebuilt by a scan.
  history.run(f, 3000);
  f.stop_server();
  f.start_server();
  CHECK(f.banned_scans() == 0);
  // Not due for a rebuild (which scans) the moment the follower next looks.
  CHECK_FALSE(f.server().state().filter().needs_rebuild());
  require_exact(f, partner, history);
  CHECK(f.banned_scans() == 0);  // the first snapshot built on it too
}

TEST_CASE("checkpoint: a damaged or foreign one is set aside and the list is scanned",
          "[checkpoint][redis]") {
  service_fixture f;
  const auto path = enable_checkpoint(f);
  const auto partner = f.issue_key("partner");
  delta_history history(92);
  history.run(f, 800);
  served_list(f, partner);
  wait_for_file(path);
  history.run(f, 200);
  const std::uint64_t epoch = f.server().state().epoch();
  f.stop_server();

  SECTION("damaged") {
    // The middle of the file: an entry, or a header field when the
    // checkpoint was written before the first ban (the first snapshot can
    // come first on a slow machine). Either is refused.
    const auto at = static_cast<std::streamoff>(fs::file_size(path) / 2);
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(at);
    const char was = static_cast<char>(file.get());
    file.seekp(at);
    file.put(static_cast<char>(was ^ 0x5a));
    REQUIRE(file.good());
  }
  SECTION("of another list") {
    // Same seed, another epoch: a checkpoint written for a different list.
    const std::vector<sdk::snapshot_entry> other{
        {fingerprint{9, 9}, sdk::identifier_type::email, sdk::ban_reason::spam}};
    const auto body =
        sdk::encode_snapshot_fps(epoch + 1, 1, sdk::digest_of(other), *f.config().seed, other);
    REQUIRE(service::write_checkpoint(path.string(), body).has_value());
  }
  f.start_server();
  CHECK(f.banned_scans() >= 1);
  require_exact(f, partner, history);
}

}  // namespace banlist::test
