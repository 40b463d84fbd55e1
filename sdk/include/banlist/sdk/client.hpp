// banlist::sdk::client: the partner SDK. It keeps a local replica of the ban
// list current — bootstrapped from GET /v1/snapshot, then following
// GET /v1/stream (WebSocket) or, when a socket cannot be held, long-polling
// GET /v1/deltas — stores it in a directory so that a restart answers at
// once, and answers checks locally in tens of nanoseconds.
//
//   banlist::sdk::client_config config;
//   config.url = "https://banlist.example.com";
//   config.key = std::getenv("BANLIST_KEY");
//   config.mode = banlist::sdk::client_mode::filter;
//   config.storage_dir = "/var/lib/myapp/banlist";
//   auto c = banlist::sdk::client::open(config);   // loads the stored replica
//   (*c)->start();                                  // syncs in the background
//   auto r = (*c)->check(banlist::sdk::identifier_type::phone, "13800138000");
//
// docs/sdk.md describes the modes, the answers, the sync algorithm
// (docs/protocol.md (section 3)'s), persistence and TLS. Boost and OpenSSL are
// used inside the library only; this header needs neither.
//
// Thread-safety: check(), check_online(), status() may be called from any
// number of threads; check() never touches the network. start()/stop()
// from one thread. The change callback runs on the client's own thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "banlist/sdk/client_replica.hpp"
#include "banlist/sdk/client_state.hpp"

namespace banlist::sdk {

struct client_config {
  // Server base URL: https://host[:port] (TLS, certificate and host name
  // verified) or http://host[:port] (plain: only when the URL says so).
  std::string url;
  std::string key;  // partner API key (sent as Authorization: Bearer)
  client_mode mode = client_mode::filter;
  std::filesystem::path storage_dir;  // where the replica is stored
  // PEM file of CA certificates to trust; empty: the system store.
  std::string ca_file;
  // Subscribe over WebSocket; false: long-poll only.
  bool use_websocket = true;
  // How long one long poll may wait on the server (the `wait` parameter).
  std::chrono::seconds long_poll_wait{25};
  // A socket that cannot be held: when `websocket_drop_limit` upgraded
  // sockets break (without a reset from the server) within
  // `websocket_drop_window`, the client long-polls for `long_poll_period`,
  // then tries the WebSocket again. The same period applies when the
  // upgrade is declined. websocket_drop_limit 0: never fall back on drops.
  unsigned websocket_drop_limit = 3;
  std::chrono::seconds websocket_drop_window{60};
  std::chrono::seconds long_poll_period{300};
  // Reconnect backoff: jittered exponential from initial to max.
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(60)};
  // Deadline of one HTTP exchange (a snapshot download gets 10x).
  std::chrono::seconds request_timeout{30};
  // The stored log is written at most this often (and on stop()).
  std::chrono::milliseconds flush_interval{1000};
  // Bounds on response bodies, checked before they are read.
  std::size_t max_snapshot_bytes = std::size_t{4} << 30;
  std::size_t max_message_bytes = std::size_t{32} << 20;
};

enum class sync_transport : std::uint8_t { none = 0, websocket = 1, long_poll = 2 };
std::string_view to_string(sync_transport transport) noexcept;

struct client_status {
  replica_status replica;
  sync_transport transport = sync_transport::none;  // how it is following now
  bool connected = false;
  std::uint64_t snapshots_loaded = 0;  // bootstraps and resyncs
  std::uint64_t batches_applied = 0;
  std::uint64_t reconnects = 0;
  // Upgraded WebSockets that broke without a reset from the server.
  std::uint64_t websocket_drops = 0;
  // Times the client switched to long-poll because the socket could not be
  // had (upgrade declined) or held (too many drops).
  std::uint64_t long_poll_fallbacks = 0;
  std::string last_error;  // empty when the last attempt succeeded
  load_report stored;      // what open() found in the storage directory
};

class client {
 public:
  using change_callback = local_replica::change_callback;

  // Validates the configuration (URL scheme and host, mode, key) and loads
  // the stored replica; starts nothing. Errors: invalid_argument for a bad
  // configuration; file errors for the storage directory; TLS setup errors
  // (an unreadable CA file).
  static std::expected<std::unique_ptr<client>, std::error_code> open(client_config config);

  ~client();  // stop()s
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Starts following the server on a background thread. Idempotent.
  void start();
  // Stops the background thread and writes the stored replica. Idempotent.
  void stop();

  // Local answers: see local_replica::check and check_many. Never block on
  // the network.
  check_result check(const fingerprint& fp) const noexcept;
  void check_many(std::span<const fingerprint> fps, std::span<check_result> out) const noexcept;
  std::expected<check_result, normalize_error> check(identifier_type type,
                                                     std::string_view value) const;

  // As check(), but a `maybe` (filter hit) or `unknown` answer is confirmed
  // through POST /v1/check, waiting at most `timeout`. Errors: the value
  // does not normalize (invalid_argument), timed_out, or the server's
  // refusal. Requires start().
  std::expected<check_result, std::error_code> check_online(
      identifier_type type, std::string_view value,
      std::chrono::milliseconds timeout = std::chrono::seconds(2));
  std::expected<check_result, std::error_code> check_online(
      const fingerprint& fp, std::chrono::milliseconds timeout = std::chrono::seconds(2));

  client_status status() const;

  // Blocks until the replica is loaded and has caught up with the head the
  // server last reported (lag 0), or `timeout` passes. Returns whether it did.
  bool wait_until_current(std::chrono::milliseconds timeout) const;

  // Called once per applied change, in order, on the client's thread.
  void set_change_callback(change_callback callback);

  const local_replica& replica() const noexcept;

 private:
  struct impl;
  explicit client(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace banlist::sdk
