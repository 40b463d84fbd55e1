#include "banlist/sdk/client_state.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "banlist/sdk/wire_errors.hpp"
#include "history.hpp"

using namespace banlist;
using namespace banlist::sdk;
using banlist::test::history;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed at the end.
struct temp_dir {
  temp_dir() {
    path = fs::temp_directory_path() /
           ("banlist-client-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  static inline int counter = 0;
  fs::path path;
};

std::vector<std::uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_all(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A stored replica in `dir` at the end of a short history (snapshot + 3 batches).
void make_stored(const fs::path& dir, history& h, client_mode mode) {
  h.seed_list(40);
  auto stored = stored_replica::open(dir, mode);
  REQUIRE(stored);
  const auto bytes =
      mode == client_mode::replica ? h.exact_snapshot_bytes() : h.filter_snapshot_bytes();
  REQUIRE((*stored)->install_snapshot(bytes));
  for (int i = 0; i < 3; ++i)
    REQUIRE((*stored)->apply(h.random_batch(4, 0.4)));
  REQUIRE((*stored)->flush());
  REQUIRE_FALSE((*stored)->dirty());
}

}  // namespace

TEST_CASE("delta log encodes and decodes", "[sdk][client]") {
  history h(20);
  h.seed_list(10);
  delta_log log;
  log.mode = client_mode::filter;
  log.snapshot_checksum = 0x1122334455667788ULL;
  log.epoch = h.epoch();
  log.snapshot_seq = h.seq();
  for (int i = 0; i < 4; ++i)
    log.batches.push_back(h.random_batch(1 + i * 3));
  log.applied_seq = h.seq();
  log.saved_at_ms = 1700000000123;
  const auto bytes = encode_delta_log(log);
  auto back = decode_delta_log(bytes);
  REQUIRE(back);
  CHECK(*back == log);
  CHECK(encode_delta_log(*back) == bytes);

  SECTION("an empty log") {
    delta_log empty = log;
    empty.batches.clear();
    empty.applied_seq = empty.snapshot_seq;
    auto e = decode_delta_log(encode_delta_log(empty));
    REQUIRE(e);
    CHECK(*e == empty);
  }
  SECTION("every single-byte change is refused") {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
        auto bad = bytes;
        bad[i] ^= flip;
        REQUIRE_FALSE(decode_delta_log(bad));
      }
    }
  }
  SECTION("truncations and extensions are refused") {
    for (std::size_t n = 0; n < bytes.size(); ++n)
      REQUIRE_FALSE(decode_delta_log(std::span(bytes).first(n)));
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(decode_delta_log(longer));
  }
}

TEST_CASE("a stored replica restarts warm and exact", "[sdk][client]") {
  for (client_mode mode : {client_mode::replica, client_mode::filter}) {
    temp_dir dir;
    history h(21);
    make_stored(dir.path, h, mode);
    load_report report;
    auto again = stored_replica::open(dir.path, mode, &report);
    REQUIRE(again);
    CHECK(report.snapshot_loaded);
    CHECK(report.batches_applied == 3);
    CHECK_FALSE(report.snapshot_error);
    CHECK_FALSE(report.log_error);
    const auto st = (*again)->replica().status();
    CHECK(st.seq == h.seq());
    CHECK(st.digest == h.digest());
    for (const auto& [fp, e] : h.list())
      CHECK((*again)->replica().check(fp).verdict != check_verdict::not_banned);
    // It goes on from there, and a third start sees that too.
    REQUIRE((*again)->apply(h.random_batch(5, 0.5)));
    REQUIRE((*again)->flush());
    again->reset();
    auto third = stored_replica::open(dir.path, mode, &report);
    REQUIRE(third);
    CHECK((*third)->replica().status().digest == h.digest());
    CHECK(report.batches_applied == 4);
  }
}

TEST_CASE("every corrupted byte of a stored replica is detected", "[sdk][client]") {
  for (client_mode mode : {client_mode::replica, client_mode::filter}) {
    temp_dir dir;
    history h(22);
    make_stored(dir.path, h, mode);
    const auto snapshot_bytes = read_all(dir.path / kStoredSnapshotName);
    const auto log_bytes = read_all(dir.path / kStoredDeltaLogName);
    REQUIRE(snapshot_bytes.size() > 88);
    REQUIRE(log_bytes.size() > 64);
    const std::uint64_t snapshot_seq = h.seq() - 12;

    for (std::size_t i = 0; i < snapshot_bytes.size(); ++i) {
      auto bad = snapshot_bytes;
      bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      write_all(dir.path / kStoredSnapshotName, bad);
      write_all(dir.path / kStoredDeltaLogName, log_bytes);
      load_report report;
      auto r = stored_replica::open(dir.path, mode, &report);
      REQUIRE(r);
      REQUIRE(report.snapshot_error);  // detected,
      REQUIRE_FALSE(report.snapshot_loaded);
      REQUIRE_FALSE((*r)->replica().status().loaded);             // never trusted,
      REQUIRE_FALSE(fs::exists(dir.path / kStoredSnapshotName));  // and discarded
      REQUIRE_FALSE(fs::exists(dir.path / kStoredDeltaLogName));
    }
    for (std::size_t i = 0; i < log_bytes.size(); ++i) {
      auto bad = log_bytes;
      bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      write_all(dir.path / kStoredSnapshotName, snapshot_bytes);
      write_all(dir.path / kStoredDeltaLogName, bad);
      load_report report;
      auto r = stored_replica::open(dir.path, mode, &report);
      REQUIRE(r);
      REQUIRE(report.log_error);
      REQUIRE(report.batches_applied == 0);
      // The snapshot alone is still good: the replica stands at its seq.
      REQUIRE((*r)->replica().status().seq == snapshot_seq);
      REQUIRE_FALSE(fs::exists(dir.path / kStoredDeltaLogName));
    }
  }
}

TEST_CASE("a stored replica of the other mode, or a stale log, is discarded", "[sdk][client]") {
  temp_dir dir;
  history h(23);
  make_stored(dir.path, h, client_mode::filter);
  load_report report;
  auto r = stored_replica::open(dir.path, client_mode::replica, &report);
  REQUIRE(r);
  CHECK(report.snapshot_error == wire_errc::bad_kind);
  CHECK_FALSE((*r)->replica().status().loaded);

  temp_dir other;
  history h2(24);
  make_stored(other.path, h2, client_mode::replica);
  // A log from another snapshot next to this snapshot.
  const auto foreign_log = read_all(other.path / kStoredDeltaLogName);
  REQUIRE((*r)->install_snapshot(h.exact_snapshot_bytes()));
  write_all(dir.path / kStoredDeltaLogName, foreign_log);
  auto again = stored_replica::open(dir.path, client_mode::replica, &report);
  REQUIRE(again);
  CHECK(report.snapshot_loaded);
  CHECK(report.log_error);
  CHECK((*again)->replica().status().seq == h.seq());
}

TEST_CASE("replica mode compacts a long log into a snapshot", "[sdk][client]") {
  temp_dir dir;
  history h(25);
  h.seed_list(1000);
  auto stored = stored_replica::open(dir.path, client_mode::replica);
  REQUIRE(stored);
  REQUIRE((*stored)->install_snapshot(h.exact_snapshot_bytes()));
  for (int i = 0; i < 10; ++i)
    REQUIRE((*stored)->apply(h.random_batch(500, 0.3)));
  CHECK((*stored)->logged_changes() == 5000);
  REQUIRE((*stored)->flush());
  CHECK((*stored)->logged_changes() == 0);  // now all in the stored snapshot
  load_report report;
  auto again = stored_replica::open(dir.path, client_mode::replica, &report);
  REQUIRE(again);
  CHECK(report.batches_applied == 0);
  const auto st = (*again)->replica().status();
  CHECK(st.snapshot_seq == h.seq());
  CHECK(st.digest == h.digest());
  CHECK(st.count == h.list().size());
}
