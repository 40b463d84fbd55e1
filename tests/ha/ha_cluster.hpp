// Test support: a Redis primary with replicas and Sentinels on loopback TCP,
// each a real child process in one temp dir, plus a blocking redis-cli
// helper to poke them. Sentinels are redis-server started through a
// "redis-sentinel" symlink (that name selects sentinel mode).
//
// Start it from the test's own thread (children die with the thread that
// spawned them). The destructor stops everything and removes the temp dir.
// Not thread-safe: owned by one test.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/redis_process.hpp"

namespace banlist::test {

inline const std::string kMasterName = "banmaster";

struct ha_cluster_options {
  int replicas = 1;
  int sentinels = 3;
  int quorum = 2;
  int down_after_ms = 2000;
  int failover_timeout_ms = 4000;
  std::string appendfsync = "always";
};

class ha_cluster {
 public:
  explicit ha_cluster(ha_cluster_options options = {});
  ~ha_cluster();
  ha_cluster(const ha_cluster&) = delete;
  ha_cluster& operator=(const ha_cluster&) = delete;

  // Data servers: index 0 is the first primary, 1.. its replicas.
  service::redis_process& server(std::size_t i) { return servers_.at(i); }
  std::size_t server_count() const { return servers_.size(); }
  std::uint16_t port(std::size_t i) const { return servers_.at(i).endpoint().port; }
  std::size_t index_of_port(std::uint16_t port) const;

  // "127.0.0.1:p1,127.0.0.1:p2,..." for --redis-sentinel.
  std::string sentinel_list() const;
  std::vector<std::uint16_t> sentinel_ports() const;
  service::redis_process& sentinel(std::size_t i) { return sentinels_.at(i); }

  // The primary's port as the first answering sentinel names it.
  std::optional<std::uint16_t> primary_port_by_sentinel() const;
  // Waits until every replica reports a live link to the primary.
  bool wait_replicas_synced(std::chrono::milliseconds timeout) const;
  // Waits until every sentinel knows every replica and the other sentinels,
  // which a failover needs.
  bool wait_sentinels_ready(std::chrono::milliseconds timeout) const;
  // Waits until a sentinel names a primary other than `old_port`.
  std::optional<std::uint16_t> wait_switch(std::uint16_t old_port,
                                           std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path dir_;
  std::vector<service::redis_process> servers_;
  std::vector<service::redis_process> sentinels_;
};

// Runs redis-cli against 127.0.0.1:port (or a unix socket path) and returns
// its raw output (trailing newline trimmed); empty on failure.
std::string redis_cli(std::uint16_t port, const std::string& args);
std::string redis_cli_unix(const std::string& socket_path, const std::string& args);

}  // namespace banlist::test
