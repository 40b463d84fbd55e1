// snapshot_cache: the snapshot GET /v1/snapshot serves, and the background
// loop that keeps it fresh and trims the change log.
//
// The loop (start()) rebuilds the snapshot when it is snapshot_max_changes
// behind the filter's seq, or older than snapshot_max_age and behind at
// all. A rebuild starts from the previous snapshot's list and replays the
// change log after it (a full scan of bl:banned only for the first build, a
// new epoch, a trimmed log, or after a failed incremental build). It reads
// Redis on the I/O executor and does the CPU work (decode, sort, filter,
// encoding) on the cache's own worker thread, while the previous snapshot
// keeps being served. A published snapshot lives in two files
// (snapshot_files.hpp), not in memory, and an incremental build streams the
// previous fps file merged with the changes (snapshot_merge.hpp) rather
// than decoding the list. With a checkpoint file configured, a published
// snapshot is also written there now and then (snapshot_checkpoint.hpp), so
// the next start need not scan. A full scan is kept as sorted runs on disk
// (scan_runs.hpp), not in memory. The first build takes the change
// follower's start-up scan when it is offered (offer_scan), so a cold
// start reads bl:banned once, not twice. After publishing it records its seq
// in Redis (store::record_snapshot) and runs log retention (log_retention.hpp),
// which never trims what a published snapshot still needs.
//
// Thread-safety: current() may be called from any thread (atomic
// shared_ptr); start() and stop() once each, from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "deltas/scan_runs.hpp"
#include "deltas/snapshot_files.hpp"

namespace banlist::service {

class service_state;
struct service_config;

struct published_snapshot {
  stored_snapshot snapshot;
  std::chrono::steady_clock::time_point built_at;
  std::chrono::milliseconds build_time{0};  // load + replay + CPU
  bool incremental = false;                 // from the previous snapshot, not a scan
};

class snapshot_cache {
 public:
  snapshot_cache();
  ~snapshot_cache();
  snapshot_cache(const snapshot_cache&) = delete;
  snapshot_cache& operator=(const snapshot_cache&) = delete;

  // The newest published snapshot, or null before the first build.
  std::shared_ptr<const published_snapshot> current() const noexcept {
    return current_.load(std::memory_order_acquire);
  }

  // Opens the snapshot directory (removing a previous run's files) and
  // starts the refresh-and-retention loop on `executor`; it ends when the
  // state begins shutting down.
  void start(service_state& state, boost::asio::any_io_executor executor);
  // Waits for the worker thread (call before the io_context is destroyed).
  void stop();
  // True from start() until the loop has seen the shutdown and ended. The
  // server's drain waits for it: a build stopped while its Redis command
  // waits in the connection's queue would keep the store, which owns that
  // queue, alive forever (a cycle ASan's leak check reported).
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }

  // This instance's id in bl:snapshots.
  const std::string& instance_id() const noexcept { return instance_id_; }

  // Hands over a full scan of bl:banned made for the filter (its seq is
  // the head read before it began), with the list identity's epoch it was
  // read under. The next full build uses it instead of scanning again
  // (once; a build that fails scans by itself). Ignored once a snapshot is
  // published.
  void offer_scan(std::shared_ptr<const scan_runs> scan, std::uint64_t seq, std::uint64_t epoch);
  // The same, for a start from the checkpoint: the next full build merges
  // the fps file at `path` (the list at `seq`) with the log after it
  // instead of scanning. The file must stay until that build is done (only
  // this cache replaces it, after publishing).
  void offer_base(std::string path, std::uint64_t seq, std::uint64_t epoch);

  // Where scans keep their runs (scan_runs.hpp): the snapshot directory,
  // open from start() on.
  snapshot_directory& files() noexcept { return files_; }

  // Builds and publishes a snapshot now (the loop's step; also for tests).
  // Returns an error message when the build failed (the old one stays).
  boost::asio::awaitable<std::expected<void, std::string>> rebuild(service_state& state);

 private:
  boost::asio::awaitable<void> run(service_state& state);
  // Writes the served snapshot to config.checkpoint_path (on the worker)
  // when none was written by this process yet or the last one is older
  // than config.checkpoint_interval.
  void keep_checkpoint(const service_config& config,
                       std::shared_ptr<const published_snapshot> served);

  // Opens files_ when it is not yet (rebuild()'s executor only).
  std::expected<void, std::string> open_files(const service_config& config);

  std::string instance_id_;
  snapshot_directory files_;  // declared before current_: outlives the files in it
  boost::asio::thread_pool worker_{1};
  std::atomic<std::shared_ptr<const published_snapshot>> current_;
  std::atomic<bool> full_scan_next_{false};  // the last incremental build failed
  std::atomic<bool> running_{false};
  bool checkpointed_ = false;  // rebuild()'s executor only
  std::chrono::steady_clock::time_point last_checkpoint_;
  struct offered {
    std::shared_ptr<const scan_runs> scan;
    std::uint64_t scan_seq = 0;
    std::uint64_t epoch = 0;
    std::string base_path;  // set: an fps file at base_seq instead of `scan`
    std::uint64_t base_seq = 0;
  };
  std::mutex offered_mutex_;
  std::optional<offered> offered_;  // guarded by offered_mutex_
};

}  // namespace banlist::service
