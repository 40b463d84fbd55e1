// Snapshots in files (deltas/snapshot_files.hpp, fps_file.hpp,
// snapshot_merge.hpp): the streaming merge against the in-memory builder on
// random histories (byte for byte), a damaged or foreign base refused with
// nothing left behind, the directory's stale-file cleanup and unlinking;
// and on a real banlistd: a snapshot that cannot be written keeps the old
// one served with a warning, and a damaged served file makes the next build
// a full scan.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "banlist/sdk/file_io.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "deltas/fps_file.hpp"
#include "deltas/scan_runs.hpp"
#include "deltas/snapshot_builder.hpp"
#include "deltas/snapshot_files.hpp"
#include "deltas/snapshot_merge.hpp"
#include "deltas_history.hpp"

namespace banlist::test {
namespace {

namespace fs = std::filesystem;
using service::banned_entry;

bool fp_less(const fingerprint& a, const fingerprint& b) {
  return a.high != b.high ? a.high < b.high : a.low < b.low;
}
struct fp_order {
  bool operator()(const fingerprint& a, const fingerprint& b) const { return fp_less(a, b); }
};

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  auto bytes = sdk::detail::read_file(path, std::size_t{1} << 30);
  if (!bytes)
    throw std::runtime_error("cannot read " + path);
  return std::move(*bytes);
}

// A fresh directory under the system temp dir, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "snapshot-files-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("mkdtemp");
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::size_t count() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {}));
  }
};

constexpr std::uint64_t kEpoch = 0x1234;
constexpr std::uint64_t kSeed = 0x5678;

// A random list and random changes after it, with the model of the result.
class random_history {
 public:
  explicit random_history(std::uint64_t seed) : rng_(seed) {}

  std::map<fingerprint, banned_entry, fp_order> list;
  std::uint64_t seq = 0;

  banned_entry random_entry(fingerprint fp) {
    return banned_entry{fp, static_cast<std::uint8_t>(1 + rng_() % 8),
                        static_cast<std::uint8_t>(1 + rng_() % 10)};
  }
  fingerprint new_fp() {
    fingerprint fp{rng_(), rng_()};
    if (rng_() % 8 == 0)
      fp.high = 0x42;  // many share `high`: the order must look at `low` too
    return fp;
  }
  void seed_list(std::size_t n) {
    while (list.size() < n) {
      const auto fp = new_fp();
      list[fp] = random_entry(fp);
    }
  }
  // `n` changes: new bans, re-bans with other codes, lifts of present and
  // absent fingerprints, some fingerprints changed more than once.
  std::vector<service::change> changes(std::size_t n) {
    std::vector<service::change> out;
    std::vector<fingerprint> touched;
    for (std::size_t i = 0; i < n; ++i) {
      service::change c;
      c.seq = ++seq;
      const auto pick = rng_() % 10;
      if (!touched.empty() && pick == 0) {
        c.fp = touched[rng_() % touched.size()];  // again
      } else if (!list.empty() && pick < 6) {
        auto it = list.lower_bound(fingerprint{rng_(), rng_()});
        if (it == list.end())
          it = list.begin();
        c.fp = it->first;
      } else {
        c.fp = new_fp();
      }
      touched.push_back(c.fp);
      c.op = rng_() % 3 == 0 ? service::change_op::lift : service::change_op::ban;
      if (c.op == service::change_op::ban) {
        const auto e = random_entry(c.fp);
        c.type = static_cast<sdk::identifier_type>(e.type);
        c.reason = std::string(sdk::to_string(static_cast<sdk::ban_reason>(e.reason)));
        list[c.fp] = e;
      } else {
        c.reason = "mistake";
        list.erase(c.fp);
      }
      out.push_back(std::move(c));
    }
    return out;
  }
  fingerprint digest() const {
    fingerprint d;
    for (const auto& [fp, e] : list) {
      d.high ^= fp.high;
      d.low ^= fp.low;
    }
    return d;
  }
  std::vector<banned_entry> entries() const {
    std::vector<banned_entry> out;
    for (const auto& [fp, e] : list)
      out.push_back(e);
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

service::snapshot_input full_input(const random_history& h) {
  service::snapshot_input in;
  in.epoch = kEpoch;
  in.seed = kSeed;
  in.scanned = h.entries();
  in.scanned_sorted = true;
  in.seq = h.seq;
  in.digest = h.digest();
  return in;
}

service::merge_input merge_of(const random_history& h, std::vector<service::change> replay) {
  service::merge_input m;
  m.epoch = kEpoch;
  m.seed = kSeed;
  m.replay = std::move(replay);
  m.seq = h.seq;
  m.digest = h.digest();
  return m;
}

// Changes one byte of a file in place.
void flip_byte(const std::string& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x01);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("snapshot merge: byte-identical to the in-memory builder on random histories",
          "[snapshot][files]") {
  // Sizes around the merge's 65,536-entry chunks, and a chain of merges
  // (each one the next one's base), down to an empty list.
  const std::uint64_t seed = GENERATE(1, 2, 3);
  const std::size_t size = seed == 1 ? 150000 : seed == 2 ? 2000 : 0;
  temp_dir tmp;
  service::snapshot_directory dir;
  REQUIRE(dir.open(tmp.path.string()).has_value());
  random_history h(seed);
  h.seed_list(size);
  auto base_built = service::build_snapshot(full_input(h));
  REQUIRE(base_built.has_value());
  auto base = dir.store(*base_built);
  REQUIRE(base.has_value());
  CHECK(file_bytes(base->fps->path()) == base_built->fps_body);
  for (int round = 0; round < 4; ++round) {
    const auto before = h.entries();
    auto replay = h.changes(round == 3 ? 5 : 3000);
    service::snapshot_input in = full_input(h);
    in.scanned = before;
    in.replay = replay;
    auto expected = service::build_snapshot(in);
    REQUIRE(expected.has_value());
    auto merged = service::merge_snapshot(dir, base->fps->path(), merge_of(h, replay));
    INFO("round " << round << ": " << (merged ? std::string("ok") : merged.error()));
    REQUIRE(merged.has_value());
    CHECK(merged->count == h.list.size());
    CHECK(merged->seq == h.seq);
    CHECK(merged->digest == h.digest());
    REQUIRE(file_bytes(merged->fps->path()) == expected->fps_body);
    REQUIRE(file_bytes(merged->filter->path()) == expected->filter_body);
    CHECK(merged->fps->size() == expected->fps_body.size());
    base = std::move(*merged);  // the old files unlink themselves
    CHECK(tmp.count() == 2);
  }
  // Lift everything: an empty list is still a valid container.
  std::vector<service::change> lifts;
  for (const auto& [fp, e] : h.list) {
    service::change c;
    c.seq = ++h.seq;
    c.op = service::change_op::lift;
    c.fp = fp;
    lifts.push_back(c);
  }
  h.list.clear();
  auto empty = service::merge_snapshot(dir, base->fps->path(), merge_of(h, lifts));
  REQUIRE(empty.has_value());
  CHECK(empty->count == 0);
  auto decoded = sdk::decode_snapshot(file_bytes(empty->fps->path()));
  REQUIRE(decoded.has_value());
  CHECK(decoded->entries.empty());
}

// A scan as the store hands it out: `entries` in pages of 10,000 (HSCAN's
// COUNT), into runs of `run_entries`.
std::unique_ptr<service::scan_runs> scan_of(service::snapshot_directory& dir,
                                            const std::vector<banned_entry>& entries,
                                            std::size_t run_entries) {
  auto scan = std::make_unique<service::scan_runs>(&dir, run_entries);
  for (std::size_t at = 0; at < entries.size(); at += 10000) {
    const auto n = std::min<std::size_t>(10000, entries.size() - at);
    auto added = scan->add(std::span(entries).subspan(at, n));
    if (!added)
      throw std::runtime_error(added.error());
  }
  scan->seal();
  return scan;
}

TEST_CASE("snapshot files from a scan: byte-identical to the in-memory builder",
          "[snapshot][files]") {
  // An unsorted scan that saw part of the changes and returned some entries
  // twice (HSCAN may), kept in runs on disk, plus the replay: the streamed
  // files equal the in-memory builder's bodies.
  const std::size_t size = GENERATE(std::size_t{0}, std::size_t{500}, std::size_t{120000});
  temp_dir tmp;
  service::snapshot_directory dir;
  REQUIRE(dir.open(tmp.path.string()).has_value());
  random_history h(size + 17);
  h.seed_list(size);
  auto scanned = h.entries();
  const auto replay = h.changes(2000);
  std::mt19937_64 shuffle(3);
  std::shuffle(scanned.begin(), scanned.end(), shuffle);
  service::snapshot_input in = full_input(h);
  in.scanned = scanned;
  in.scanned_sorted = false;
  in.replay = replay;
  auto expected = service::build_snapshot(in);
  REQUIRE(expected.has_value());
  for (std::size_t i = 0; i < scanned.size(); i += 97)
    scanned.push_back(scanned[i]);  // the repeats land in other runs
  auto scan = scan_of(dir, scanned, 16384);
  CHECK(scan->files() == scanned.size() / 16384);
  CHECK(tmp.count() == scan->files());
  const auto merge = merge_of(h, replay);
  auto stored = service::merge_scan(dir, *scan, merge);
  INFO((stored ? std::string("ok") : stored.error()));
  REQUIRE(stored.has_value());
  CHECK(stored->count == h.list.size());
  CHECK(stored->digest == h.digest());
  REQUIRE(file_bytes(stored->fps->path()) == expected->fps_body);
  REQUIRE(file_bytes(stored->filter->path()) == expected->filter_body);

  SECTION("refused as build_snapshot refuses, nothing left behind") {
    const auto files = tmp.count();
    auto wrong = merge;
    wrong.digest.high ^= 1;
    CHECK_FALSE(service::merge_scan(dir, *scan, wrong).has_value());
    CHECK(tmp.count() == files);
    if (!scanned.empty()) {
      auto bad = scanned;
      for (auto& e : bad)
        e.reason = 200;  // some may be lifted or re-banned by the replay, not all
      auto bad_scan = scan_of(dir, bad, 16384);
      const auto with_runs = tmp.count();
      CHECK_FALSE(service::merge_scan(dir, *bad_scan, merge).has_value());
      CHECK(tmp.count() == with_runs);
    }
  }
}

TEST_CASE("scan runs: one ascending stream without repeats, from disk, every walk",
          "[snapshot][files]") {
  temp_dir tmp;
  service::snapshot_directory dir;
  REQUIRE(dir.open(tmp.path.string()).has_value());
  random_history h(5);
  h.seed_list(50000);
  auto sorted = h.entries();  // ascending, each fingerprint once
  auto scanned = sorted;
  std::mt19937_64 shuffle(11);
  std::shuffle(scanned.begin(), scanned.end(), shuffle);
  for (std::size_t i = 0; i < sorted.size(); i += 10)
    scanned.push_back(sorted[i]);  // 5,000 repeats, spread over the runs
  const auto walk = [](const service::scan_runs& scan) {
    std::vector<banned_entry> out;
    auto walked = scan.walk([&out](const banned_entry& e) { out.push_back(e); });
    if (!walked)
      throw std::runtime_error(walked.error());
    return out;
  };
  const auto same = [](const std::vector<banned_entry>& a, const std::vector<banned_entry>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const banned_entry& x, const banned_entry& y) {
                        return x.fp == y.fp && x.type == y.type && x.reason == y.reason;
                      });
  };

  SECTION("in runs of 4,096 on disk: 13 files and an in-memory tail") {
    auto scan = scan_of(dir, scanned, 4096);
    CHECK(scan->added() == scanned.size());
    CHECK(scan->files() == scanned.size() / 4096);
    CHECK(tmp.count() == scan->files());
    CHECK(same(walk(*scan), sorted));
    CHECK(same(walk(*scan), sorted));  // walks again from the files
    scan.reset();
    CHECK(tmp.count() == 0);  // the runs unlinked themselves
  }
  SECTION("without a directory it stays in memory") {
    service::snapshot_directory closed;
    auto scan = scan_of(closed, scanned, 4096);
    CHECK(scan->files() == 0);
    CHECK(same(walk(*scan), sorted));
  }
  SECTION("a run cut short is an error, not a shorter list") {
    auto scan = scan_of(dir, scanned, 4096);
    REQUIRE(scan->files() > 0);
    const auto run = *fs::directory_iterator(tmp.path);
    fs::resize_file(run.path(), fs::file_size(run.path()) - sizeof(banned_entry));
    std::size_t emitted = 0;
    auto walked = scan->walk([&emitted](const banned_entry&) { ++emitted; });
    REQUIRE_FALSE(walked.has_value());
    CHECK(walked.error().find("ends early") != std::string::npos);
    CHECK(emitted < sorted.size());
  }
  SECTION("a scan not sealed cannot be walked") {
    service::scan_runs open_scan(&dir, 4096);
    REQUIRE(open_scan.add(std::span(scanned).first(100)).has_value());
    CHECK_FALSE(open_scan.walk([](const banned_entry&) {}).has_value());
  }
}

TEST_CASE("snapshot merge: a damaged or foreign base is refused, nothing left behind",
          "[snapshot][files]") {
  temp_dir tmp;
  service::snapshot_directory dir;
  REQUIRE(dir.open(tmp.path.string()).has_value());
  random_history h(9);
  h.seed_list(5000);
  auto built = service::build_snapshot(full_input(h));
  REQUIRE(built.has_value());
  auto base = dir.store(*built);
  REQUIRE(base.has_value());
  const std::string path = base->fps->path();
  auto replay = h.changes(100);
  auto input = merge_of(h, replay);
  auto refused = [&](std::string_view why) {
    auto merged = service::merge_snapshot(dir, path, input);
    REQUIRE_FALSE(merged.has_value());
    INFO(merged.error());
    CHECK(merged.error().find(why) != std::string::npos);
    CHECK(tmp.count() == 2);  // only the base's two files
  };
  SECTION("the base checks out") {
    CHECK(service::merge_snapshot(dir, path, input).has_value());
  }
  SECTION("a flipped payload byte: the checksum") {
    flip_byte(path, sdk::snapshot_format::kHeaderBytes + 18 * 2500 + 3);
    refused("damaged");
  }
  SECTION("a flipped header byte") {
    flip_byte(path, sdk::snapshot_format::kDigestOffset + 3);
    refused("damaged");
  }
  SECTION("truncated") {
    fs::resize_file(path, fs::file_size(path) - 18);
    refused("length");
  }
  SECTION("not a snapshot") {
    fs::resize_file(path, 10);
    refused("not a snapshot");
  }
  SECTION("missing") {
    fs::remove(path);
    auto merged = service::merge_snapshot(dir, path, input);
    REQUIRE_FALSE(merged.has_value());
    CHECK(tmp.count() == 1);
  }
  SECTION("another list") {
    input.epoch = kEpoch + 1;
    refused("another list");
  }
  SECTION("changes that do not lead to the digest") {
    input.digest.low ^= 1;
    refused("digest");
  }
  SECTION("an unknown type code in the log") {
    input.replay.back().op = service::change_op::ban;
    input.replay.back().type = static_cast<sdk::identifier_type>(99);
    refused("unknown type");
  }
}

TEST_CASE("fps_file: the reader checks order and codes; the writer its count",
          "[snapshot][files]") {
  temp_dir tmp;
  const std::string path = (tmp.path / "x.fps").string();
  service::fps_header header;
  header.epoch = 1;
  header.seq = 2;
  header.count = 2;
  header.digest = fingerprint{1 ^ 2, 1 ^ 2};
  SECTION("too few entries for the header") {
    auto w = service::fps_writer::create(path, header);
    REQUIRE(w.has_value());
    REQUIRE(w->append({{1, 1}, 1, 1}).has_value());
    CHECK_FALSE(w->finish().has_value());
  }
  SECTION("out of order: written, but the reader refuses it") {
    auto w = service::fps_writer::create(path, header);
    REQUIRE(w.has_value());
    REQUIRE(w->append({{2, 2}, 1, 1}).has_value());
    REQUIRE(w->append({{1, 1}, 1, 1}).has_value());
    REQUIRE(w->finish().has_value());
    CHECK_FALSE(sdk::decode_snapshot(file_bytes(path)).has_value());
    auto r = service::fps_reader::open(path);
    REQUIRE(r.has_value());
    std::vector<banned_entry> out(8);
    auto got = r->next(out);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().find("ascending") != std::string::npos);
  }
  SECTION("an unknown reason code") {
    auto w = service::fps_writer::create(path, header);
    REQUIRE(w.has_value());
    REQUIRE(w->append({{1, 1}, 1, 1}).has_value());
    REQUIRE(w->append({{2, 2}, 1, 0}).has_value());
    REQUIRE(w->finish().has_value());
    auto r = service::fps_reader::open(path);
    REQUIRE(r.has_value());
    std::vector<banned_entry> out(8);
    CHECK_FALSE(r->next(out).has_value());
  }
  SECTION("a good file reads back whole") {
    auto w = service::fps_writer::create(path, header);
    REQUIRE(w.has_value());
    REQUIRE(w->append({{1, 1}, 2, 3}).has_value());
    REQUIRE(w->append({{2, 2}, 4, 5}).has_value());
    auto size = w->finish();
    REQUIRE(size.has_value());
    CHECK(*size == 88 + 36);
    auto decoded = sdk::decode_snapshot(file_bytes(path));
    REQUIRE(decoded.has_value());
    CHECK(decoded->entries.size() == 2);
    auto r = service::fps_reader::open(path);
    REQUIRE(r.has_value());
    CHECK(r->header().seq == 2);
    std::vector<banned_entry> out(1);  // one at a time
    REQUIRE(r->next(out).value() == 1);
    CHECK(out[0].type == 2);
    REQUIRE(r->next(out).value() == 1);
    CHECK(out[0].reason == 5);
    CHECK(r->next(out).value() == 0);
    CHECK(r->finish().has_value());
  }
  SECTION("a filter container is not a list") {
    auto filter = bloom::filter::with_capacity(10, 0.01, 1);
    REQUIRE(filter.has_value());
    const auto body = sdk::encode_snapshot_filter(1, 2, fingerprint{}, *filter);
    REQUIRE(sdk::detail::write_file_atomically(tmp.path, "x.fps", body).has_value());
    CHECK_FALSE(service::fps_reader::open(path).has_value());
  }
}

TEST_CASE("snapshot directory: stale files go at open, superseded files when released",
          "[snapshot][files]") {
  temp_dir tmp;
  const fs::path stale = tmp.path / "snapshot-7-0.fps";
  const fs::path stale_tmp = tmp.path / "snapshot-8-3.filter.tmp";
  const fs::path other = tmp.path / "checkpoint.fps";
  for (const auto& p : {stale, stale_tmp, other})
    std::ofstream(p) << "x";
  service::snapshot_directory dir;
  REQUIRE(dir.open(tmp.path.string()).has_value());
  CHECK_FALSE(fs::exists(stale));
  CHECK_FALSE(fs::exists(stale_tmp));
  CHECK(fs::exists(other));  // not ours: kept

  const std::vector<std::uint8_t> bytes{1, 2, 3};
  auto file = dir.write(5, "fps", bytes);
  REQUIRE(file.has_value());
  const std::string path = (*file)->path();
  CHECK(file_bytes(path) == bytes);
  {
    // An open descriptor (a response being sent) outlives the unlink.
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    file->reset();
    CHECK_FALSE(fs::exists(path));
    char buf[3] = {};
    CHECK(::read(fd, buf, 3) == 3);
    CHECK(buf[2] == 3);
    ::close(fd);
  }
  SECTION("a directory that cannot be made") {
    service::snapshot_directory bad;
    auto opened = bad.open((other / "sub").string());  // under a regular file
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().find("creating") != std::string::npos);
  }
  SECTION("a private directory is removed with its owner") {
    std::string made;
    {
      service::snapshot_directory own;
      REQUIRE(own.open("").has_value());
      made = own.path();
      CHECK(fs::is_directory(made));
      auto kept = own.write(1, "fps", bytes);  // still held when the owner goes
      REQUIRE(kept.has_value());
    }
    CHECK_FALSE(fs::exists(made));
  }
}

namespace {

// Sends this process's stderr (banlistd's log) into a pipe while alive.
class stderr_capture {
 public:
  stderr_capture() {
    if (::pipe(fds_) != 0)
      throw std::runtime_error("pipe");
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fds_[1], F_SETFL, O_NONBLOCK);  // a full pipe drops log lines, never blocks
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fds_[1], 2);
  }
  ~stderr_capture() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // Waits up to `timeout` for a line containing `text`.
  bool wait_for(std::string_view text, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n > 0)
        seen_.append(buf, static_cast<std::size_t>(n));
      if (seen_.find(text) != std::string::npos)
        return true;
      if (n <= 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  const std::string& seen() const { return seen_; }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
  std::string seen_;
};

// Files this process writes may not grow past `bytes` while alive (writes
// beyond fail with EFBIG, even for root). redis-server, a child started
// earlier, keeps its own limit.
class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lower = saved_;
    lower.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lower);
  }
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

struct served {
  std::uint64_t seq = 0;
  std::string body;
};

served served_fps(service_fixture& f, const std::string& key) {
  auto c = f.client();
  auto r = c.get("/v1/snapshot?format=fps", key);
  if (r.status != 200)
    throw std::runtime_error("GET /v1/snapshot: " + std::to_string(r.status));
  return served{std::stoull(r.header("x-banlist-seq")), r.body};
}

served wait_for_seq(service_fixture& f, const std::string& key, std::uint64_t seq) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    auto c = f.client();
    auto r = c.get("/v1/snapshot?format=fps", key);
    if (r.status == 200 && std::stoull(r.header("x-banlist-seq")) >= seq)
      return served{std::stoull(r.header("x-banlist-seq")), r.body};
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no snapshot at seq " + std::to_string(seq));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void require_list(const std::string& body, const delta_history& history) {
  auto decoded = sdk::decode_snapshot(
      std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  REQUIRE(decoded.has_value());
  CHECK(decoded->digest == history.digest());
  REQUIRE(decoded->entries.size() == history.banned().size());
  auto it = history.banned().begin();
  for (const auto& e : decoded->entries) {
    REQUIRE(e.fp == it->first);
    REQUIRE(e.type == it->second.type);
    REQUIRE(e.reason == it->second.reason);
    ++it;
  }
}

std::size_t snapshot_files_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().starts_with("snapshot-") ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a snapshot that cannot be written: the old one stays served, with a warning",
          "[snapshot][files][redis]") {
  temp_dir tmp;
  const fs::path snapshots = tmp.path / "snapshots";
  service_fixture f([&](service::service_config& c) {
    c.snapshot_dir = snapshots.string();
    c.snapshot_max_changes = 100;
    c.snapshot_max_age = std::chrono::milliseconds(100);
    c.retention_interval = std::chrono::hours(1);
  });
  const auto partner = f.issue_key("partner");
  delta_history history(31);
  history.run(f, 1000);
  const auto before = wait_for_seq(f, partner, 1000);
  require_list(before.body, history);
  const auto head_before = f.server().state().filter().seq();
  {
    stderr_capture log;
    file_size_limit limit(1024);  // the new fps file's first flush fails
    history.run(f, 500);
    REQUIRE(log.wait_for("snapshot build failed", std::chrono::seconds(20)));
    INFO(log.seen());
    CHECK(log.seen().find("File too large") != std::string::npos);
    // Still the old snapshot, whole, while the builds keep failing.
    const auto during = served_fps(f, partner);
    CHECK(during.seq == before.seq);
    CHECK(during.body == before.body);
    CHECK(f.server().state().filter().seq() > head_before);
    // No partial file left behind. A build that is failing right now may
    // hold its .tmp for a moment (builds retry every 100 ms, slowly under
    // ASan), so wait for a moment between builds: each failed build has its
    // own file name, so left-behind files would only add up.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (snapshot_files_in(snapshots) != 2 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(snapshot_files_in(snapshots) == 2);
  }
  // Writable again: the next build catches up.
  const auto after = wait_for_seq(f, partner, 1500);
  require_list(after.body, history);
  CHECK(snapshot_files_in(snapshots) == 2);  // the superseded pair is gone
}

TEST_CASE("a damaged served fps file: the next build is a full scan, still exact",
          "[snapshot][files][redis]") {
  temp_dir tmp;
  service_fixture f([&](service::service_config& c) {
    c.snapshot_dir = (tmp.path / "snapshots").string();
    c.snapshot_max_age = std::chrono::hours(1);  // the test runs every build itself
    c.snapshot_max_changes = 1'000'000'000;
    c.retention_interval = std::chrono::hours(1);
  });
  const auto partner = f.issue_key("partner");
  auto& state = f.server().state();
  auto rebuild = [&state] {
    return store_call([&state] { return state.snapshots().rebuild(state); });
  };
  delta_history history(32);
  history.run(f, 800);
  wait_for_seq(f, partner, 0);  // the loop's one build is done
  auto first = rebuild();
  REQUIRE(first.has_value());
  const auto published = state.snapshots().current();
  flip_byte(published->snapshot.fps->path(), sdk::snapshot_format::kHeaderBytes + 18 * 10 + 5);
  history.run(f, 300);
  auto failed = rebuild();
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().find("damaged") != std::string::npos);
  CHECK(state.snapshots().current() == published);  // nothing new published
  auto scanned = rebuild();
  REQUIRE(scanned.has_value());
  CHECK_FALSE(state.snapshots().current()->incremental);
  require_list(wait_for_seq(f, partner, 1100).body, history);
  // And from that good file, incremental again.
  history.run(f, 100);
  REQUIRE(rebuild().has_value());
  CHECK(state.snapshots().current()->incremental);
  require_list(wait_for_seq(f, partner, 1200).body, history);
}

}  // namespace banlist::test
