// Bootstrap of the partner client over loopback: from client::start() until
// the replica answers, for a list of N bans, in filter and replica mode.
//
// What is measured is the client's whole path: TCP connect, GET /v1/snapshot
// over HTTP/1.1 on loopback, reading the body (bounded), decode_snapshot with
// every check (checksum, geometry, order, digest), building the replica, and
// the swap that makes it answer. Writing the stored copy (temp file, fsync,
// rename) follows and is reported separately.
//
// The server side is a stand-in: the snapshot container is encoded once with
// the protocol library (the same encoder banlistd's snapshot cache uses) and
// served from memory by a small proxy (tests/sdk/integration/gate_proxy),
// because banlistd also serves GET /v1/snapshot from an in-memory cache and
// seeding 10M bans into Redis takes ~9 GB and many minutes on this machine.
//
// Usage: sdk_bootstrap_bench [N ...] (default 1000000 10000000); 3 runs each.
//
// Against a real server instead (banlistd seeded with `banbench seed`):
//   BANLIST_KEY=... sdk_bootstrap_bench --url http://127.0.0.1:PORT [filter|replica ...]
// measures the same path (3 runs per mode; default filter) against its
// GET /v1/snapshot, i.e. banlistd's cached snapshot bytes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/client.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "gate_proxy.hpp"

namespace {

using namespace banlist;
using clock_type = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 0x5eed;
constexpr std::uint64_t kEpoch = 0xabcdef;

std::string snapshot_body(sdk::client_mode mode, std::size_t n) {
  std::mt19937_64 rng(n);
  std::vector<sdk::snapshot_entry> entries(n);
  for (auto& e : entries) {
    e.fp = {rng(), rng()};
    e.type = sdk::identifier_type::device;
    e.reason = sdk::ban_reason::fake_shop;
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.fp < b.fp; });
  const fingerprint digest = sdk::digest_of(entries);
  std::vector<std::uint8_t> bytes;
  if (mode == sdk::client_mode::replica) {
    bytes = sdk::encode_snapshot_fps(kEpoch, n, digest, kSeed, entries);
  } else {
    std::vector<fingerprint> fps;
    fps.reserve(n);
    for (const auto& e : entries)
      fps.push_back(e.fp);
    auto f = bloom::filter::with_items(fps, fps.size(), 0.001, kSeed);
    if (!f)
      std::abort();
    bytes = sdk::encode_snapshot_filter(kEpoch, n, digest, *f);
  }
  return std::string(bytes.begin(), bytes.end());
}

struct run_times {
  double loaded_ms = 0;
  double stored_ms = 0;
  sdk::replica_status replica;
};

// One bootstrap of a fresh client against `url`.
run_times bootstrap_once(const std::string& url, const std::string& key, sdk::client_mode mode) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("banlist-bootstrap-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  sdk::client_config config;
  config.url = url;
  config.key = key;
  config.mode = mode;
  config.storage_dir = dir;
  auto client = sdk::client::open(config);
  if (!client)
    std::abort();
  const auto t0 = clock_type::now();
  (*client)->start();
  while (!(*client)->status().replica.loaded)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const auto t1 = clock_type::now();
  while (!std::filesystem::exists(dir / sdk::kStoredSnapshotName))
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const auto t2 = clock_type::now();
  run_times out;
  out.replica = (*client)->status().replica;
  (*client)->stop();
  client->reset();
  std::filesystem::remove_all(dir);
  out.loaded_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  out.stored_ms = std::chrono::duration<double, std::milli>(t2 - t0).count();
  return out;
}

int against_server(int argc, char** argv) {
  const std::string url = argv[2];
  const char* key = std::getenv("BANLIST_KEY");
  if (key == nullptr) {
    std::fprintf(stderr, "set BANLIST_KEY\n");
    return 2;
  }
  std::vector<sdk::client_mode> modes;
  for (int i = 3; i < argc; ++i) {
    auto m = sdk::parse_client_mode(argv[i]);
    if (!m) {
      std::fprintf(stderr, "unknown mode %s\n", argv[i]);
      return 2;
    }
    modes.push_back(*m);
  }
  if (modes.empty())
    modes = {sdk::client_mode::filter};
  std::printf("%-8s %10s %12s %12s %12s\n", "mode", "bans", "loaded_ms", "stored_ms", "bytes/ban");
  for (const auto mode : modes) {
    for (int run = 0; run < 3; ++run) {
      const run_times t = bootstrap_once(url, key, mode);
      std::printf(
          "%-8s %10llu %12.0f %12.0f %12.2f\n", std::string(sdk::to_string(mode)).c_str(),
          static_cast<unsigned long long>(t.replica.count), t.loaded_ms, t.stored_ms,
          static_cast<double>(t.replica.memory_bytes) / static_cast<double>(t.replica.count));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == "--url")
    return against_server(argc, argv);
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i)
    sizes.push_back(std::stoull(argv[i]));
  if (sizes.empty())
    sizes = {1'000'000, 10'000'000};
  std::printf("%-8s %10s %10s %12s %12s %12s\n", "mode", "bans", "MB", "loaded_ms", "stored_ms",
              "bytes/ban");
  for (const auto mode : {sdk::client_mode::filter, sdk::client_mode::replica}) {
    for (const std::size_t n : sizes) {
      const std::string body = snapshot_body(mode, n);
      const std::string response =
          test::http_response_bytes(200, "OK", std::string(sdk::kSnapshotMediaType), body);
      // Upstream port 1: nothing listens, so only the canned snapshot exists;
      // every other request gets 503 + Retry-After so the client idles.
      test::gate_proxy server(1);
      server.set_policy([&](const test::proxied_request& r) -> std::optional<std::string> {
        if (r.target.starts_with("/v1/snapshot"))
          return response;
        return test::http_response_bytes(503, "Busy", "application/json", "{}",
                                         "Retry-After: 60\r\n");
      });
      for (int run = 0; run < 3; ++run) {
        const auto dir = std::filesystem::temp_directory_path() /
                         ("banlist-bootstrap-bench-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        sdk::client_config config;
        config.url = "http://127.0.0.1:" + std::to_string(server.port());
        config.key = "bench";
        config.mode = mode;
        config.storage_dir = dir;
        auto client = sdk::client::open(config);
        if (!client)
          std::abort();
        const auto t0 = clock_type::now();
        (*client)->start();
        while (!(*client)->status().replica.loaded)
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        const auto t1 = clock_type::now();
        while (!std::filesystem::exists(dir / sdk::kStoredSnapshotName))
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        const auto t2 = clock_type::now();
        const auto st = (*client)->status().replica;
        (*client)->stop();
        client->reset();
        std::filesystem::remove_all(dir);
        std::printf("%-8s %10zu %10.1f %12.0f %12.0f %12.2f\n",
                    std::string(sdk::to_string(mode)).c_str(), n, body.size() / 1e6,
                    std::chrono::duration<double, std::milli>(t1 - t0).count(),
                    std::chrono::duration<double, std::milli>(t2 - t0).count(),
                    static_cast<double>(st.memory_bytes) / static_cast<double>(st.count));
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
