// banlistd's configuration: command-line flags, each with a BANLIST_* twin in
// the environment (flag wins). Plain value type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace banlist::service {

struct service_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string redis_url;                    // empty: start the embedded redis-server
  std::string data_dir = "./banlist-data";  // embedded redis-server's data
  std::string redis_server_path = "redis-server";
  std::string key_prefix = "bl:";
  std::optional<std::uint64_t> seed;  // empty: adopt the stored one (or pick one)
  unsigned threads = 0;               // 0: hardware cores

  // HTTP limits.
  std::size_t max_connections = 10000;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::size_t batch_body_limit = 8 * 1024 * 1024;  // POST /v1/check
  std::size_t batch_max_items = 10000;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds shutdown_timeout{25000};

  // Redis.
  std::chrono::milliseconds redis_timeout{2000};

  // Filter.
  std::uint64_t filter_capacity = 1'000'000;
  double filter_fp_rate = 0.001;

  // Auth.
  std::chrono::milliseconds key_cache_ttl{5000};

  // Subscriptions (GET /v1/stream, GET /v1/events).
  std::size_t stream_queue_messages = 256;       // per subscriber; full: reset slow_consumer
  std::size_t stream_queue_bytes = 1024 * 1024;  // per subscriber
  std::chrono::milliseconds heartbeat_interval{15000};
  // WebSocket: a ping after half of it without traffic, closed after all of it.
  std::chrono::milliseconds stream_idle_timeout{30000};
  std::size_t stream_send_buffer = 0;  // SO_SNDBUF of subscription sockets; 0: OS default
  std::string instance_name;           // shown by GET /v1/subscribers; default host:port
  // Heartbeat in bl:instances for GET /v1/status (docs/admin-api.md).
  std::chrono::milliseconds instance_heartbeat_interval{2000};

  // Polling, snapshots, retention (GET /v1/deltas, GET /v1/snapshot).
  std::uint32_t deltas_min_wait_s = 5;                // min_wait_s hint of an up-to-date poll
  std::uint64_t snapshot_max_changes = 10000;         // rebuild after this many changes...
  std::chrono::milliseconds snapshot_max_age{60000};  // ...or when older than this (and stale)
  std::uint64_t delta_window = 100'000;        // newest changes GET /v1/deltas serves from memory
  std::uint64_t log_retain_count = 1'000'000;  // change-log entries kept at least...
  std::chrono::seconds log_retain_age{7 * 86400};  // ...or younger than this
  std::chrono::milliseconds retention_interval{60000};
  // Start-up checkpoint (deltas/snapshot_checkpoint.hpp): a local copy of the
  // newest served list snapshot, so a restart replays the log after it
  // instead of scanning bl:banned. Empty: none. parse_config defaults it to
  // DATA/checkpoint.fps with the embedded Redis (the data directory is then
  // this instance's own), and to none with --redis or --redis-sentinel.
  std::string checkpoint_path;
  std::chrono::milliseconds checkpoint_interval{600000};  // at most one write per interval
  // Where published snapshots live as files (deltas/snapshot_files.hpp).
  // parse_config defaults it to DATA/snapshots with the embedded Redis.
  // Empty: a private directory under $TMPDIR made at start, removed at exit.
  std::string snapshot_dir;

  // Public pages (docs/public.md): token buckets per client address. A rate
  // of 0 turns that limiter off.
  double public_lookup_per_minute = 30;  // GET /lookup, /v1/public/*
  double public_lookup_burst = 10;
  double public_page_per_minute = 600;  // notice pages, bulletins, feed
  double public_page_burst = 120;
  // Bulk changes (POST /v1/bans/import): an import that may change more
  // than max(bulk_change_min, bulk_change_limit % of the list) bans needs
  // ?confirm=true (the circuit breaker; docs/decisions.md).
  double bulk_change_limit = 10.0;  // percent
  std::uint64_t bulk_change_min = 100;
  // Expiry (issue 7): how often each instance lifts bans whose expires_at passed.
  std::chrono::milliseconds expiry_interval{1000};

  // TLS: both set, or neither.
  std::string tls_cert;
  std::string tls_key;

  // High availability (docs/operations.md): discover and follow the primary
  // through Sentinel instead of --redis; wait for replicas on writes.
  std::vector<std::string> redis_sentinels;  // host:port each; empty: no Sentinel
  std::string redis_master_name;
  std::chrono::milliseconds sentinel_timeout{1000};
  unsigned replica_acks = 0;  // 0: acknowledged once the primary applied it
  std::chrono::milliseconds replica_ack_timeout{1000};
  bool read_from_replicas = false;  // filter-hit confirmations from a replica (Sentinel only)

  // Bootstrap admin secret (BANLIST_ADMIN_KEY only: never a flag, so it does
  // not show up in process listings).
  std::string admin_key;
};

struct config_outcome {
  service_config config;
  bool show_help = false;
  std::string help_text;
};

// Looks up an environment variable; returns nullptr when unset.
using env_lookup = std::function<const char*(const char*)>;

// Parses argv-style arguments (args[0] is the program name) and the
// environment. Returns a message naming the bad flag on error.
std::expected<config_outcome, std::string> parse_config(const std::vector<std::string>& args,
                                                        const env_lookup& getenv);

// Parses "host:port" or "[v6]:port". Port 0 asks the OS for a free one.
std::expected<std::pair<std::string, std::uint16_t>, std::string> parse_listen_address(
    std::string_view text);

}  // namespace banlist::service
