// sync_loop: the coroutine that keeps a stored replica current, following
// docs/protocol.md (section 3)'s client algorithm: bootstrap from GET /v1/snapshot,
// then follow GET /v1/stream (WebSocket; acks each applied seq) or, while a
// socket cannot be held, long-poll GET /v1/deltas; resync from a snapshot
// on an epoch change, a digest mismatch, a ban/lift conflict, a 410 or a
// reset with resync_required (the old replica answers meanwhile);
// reconnect with jittered exponential backoff, honouring min_wait_s and
// Retry-After. It also answers online confirmations (POST /v1/check).
//
// Thread-safety: runs on one io_context thread; sync_progress is read by
// other threads under its mutex.
#pragma once

#include <utility>  // before Boost 1.74 awaitable.hpp, which needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <random>
#include <string>

#include "banlist/sdk/client.hpp"
#include "transport.hpp"

namespace banlist::sdk::detail {

// What the loop reports to client::status(). Guarded by mutex.
struct sync_progress {
  mutable std::mutex mutex;
  sync_transport transport = sync_transport::none;
  bool connected = false;
  bool heard_since_start = false;  // a snapshot, batch or heartbeat arrived
  std::uint64_t snapshots_loaded = 0;
  std::uint64_t batches_applied = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t websocket_drops = 0;
  std::uint64_t long_poll_fallbacks = 0;
  std::string last_error;
};

class sync_loop {
 public:
  sync_loop(transport& t, stored_replica& stored, const client_config& config,
            sync_progress& progress);

  // Runs until the io_context stops.
  net::awaitable<void> run();

  // POST /v1/check for one fingerprint.
  net::awaitable<std::expected<check_result, std::error_code>> confirm(fingerprint fp);

  // Writes the stored replica if its flush interval passed (force: now).
  void flush(bool force);

 private:
  enum class outcome {
    progressed,   // applied something; go on at once
    reconnect,    // reconnect at once (seq gap, slow consumer)
    resync,       // load a snapshot
    unavailable,  // the WebSocket route is not there: long-poll for a while
    failed,       // back off
  };

  net::awaitable<bool> bootstrap();
  net::awaitable<outcome> follow_websocket();
  // GET /v1/deltas; `wait`: long-poll and honour min_wait_s, else a quick catch-up.
  net::awaitable<outcome> poll_once(bool wait);
  outcome apply(const delta_batch& batch);
  net::awaitable<void> sleep(std::chrono::milliseconds delay);
  std::chrono::milliseconds next_backoff();
  void report(std::string error);
  void set_connected(sync_transport transport, bool connected);
  // Records that an upgraded socket broke; returns whether the drops within
  // the window reached the limit (then the window starts afresh).
  bool note_websocket_drop();

  transport& transport_;
  stored_replica& stored_;
  const client_config& config_;
  sync_progress& progress_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::chrono::milliseconds backoff_{0};
  std::optional<std::chrono::seconds> retry_after_;
  std::chrono::steady_clock::time_point websocket_retry_at_{};
  unsigned websocket_failures_ = 0;
  std::deque<std::chrono::steady_clock::time_point> websocket_drops_;  // within the window
  bool need_snapshot_ = false;
  bool catch_up_ = false;  // poll once, without waiting, after a snapshot
  std::chrono::steady_clock::time_point last_flush_{};
};

}  // namespace banlist::sdk::detail
