// change_follower: loads the filter from Redis's banned set, then follows the
// change log (XREAD BLOCK from the filter's seq) so the filter covers every
// ban up to the newest seq, including bans accepted by other instances.
// Rebuilds the filter from scratch (in the same loop, while the old filter
// keeps answering) when it outgrows its capacity, when lifts have made >10%
// of it stale, or when the log has a gap (trimmed past our seq).
//
// Every batch it applies is also published to the subscriber hub, encoded
// once. A rebuild for room (capacity, stale lifts) catches the new filter up
// with the log by itself; the changes it read past what was published are
// then read again and published, so a subscriber never waits for the next
// change to learn of them. When the log stops being a continuation of what it applied — a gap
// (trimmed past it, a seq jump) or a rewind (Redis's head below ours after a
// restart that lost writes, or a new epoch) — it resyncs from Redis and the
// hub resets every subscriber (resync_required) instead of rewinding them
// silently.
//
// The first build of the process starts from the start-up checkpoint when
// one is configured and Redis provably continues it (snapshot_checkpoint.hpp),
// replaying only the log after it; otherwise, and for every later rebuild,
// from a scan of bl:banned.
//
// Thread-safety: runs as one coroutine; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "deltas/fps_file.hpp"
#include "store/store.hpp"

namespace banlist::service {

class service_state;

class change_follower : public std::enable_shared_from_this<change_follower> {
 public:
  static constexpr std::chrono::milliseconds kBlock{500};
  static constexpr std::size_t kBatch = 1000;
  static constexpr std::size_t kCheckpointChunk = 65536;  // entries streamed at a time

  change_follower(service_state& state, boost::asio::any_io_executor executor);

  // Starts the load-then-follow loop on the executor.
  void start();
  // Asks the loop to end; it does after its current read (at most kBlock).
  void stop() noexcept { stopping_.store(true, std::memory_order_release); }
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

 private:
  boost::asio::awaitable<void> run();
  // Builds a fresh filter from the banned set, catches it up with the log
  // and installs it. Returns false on a store error (the caller retries).
  boost::asio::awaitable<bool> rebuild(store& s);
  // The start-up checkpoint, opened, when configured, its header sound and
  // continued by Redis's log; nullopt (with a log line saying why) else.
  // Its entries are checked as rebuild() streams them into the filter.
  struct opened_checkpoint {
    fps_reader reader;
    std::uint64_t log_head = 0;  // the log's head when it was checked
  };
  boost::asio::awaitable<std::optional<opened_checkpoint>> from_checkpoint(store& s);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds how_long);
  // Publishes `changes` (applied after seq `after`) to the hub.
  void publish(std::uint64_t after, const std::vector<change>& changes);
  // Publishes the log's changes after published_ up to the filter's seq
  // (what a rebuild applied without publishing). False on a store error;
  // a log trimmed past published_ resets the subscribers instead.
  boost::asio::awaitable<bool> publish_caught_up(store& s);
  // True when Redis's history is no longer a continuation of what we applied
  // up to `after`: its head is below it, or (with `deep`, after a store
  // error, which is when a failover or restart shows up) the list has
  // another epoch or the entry at `after` carries another digest. Records
  // the regression (log, filter_state, epoch) before returning true.
  boost::asio::awaitable<bool> rewound(store& s, std::uint64_t after, bool deep);

  service_state& state_;
  boost::asio::any_io_executor executor_;
  std::optional<fingerprint> last_digest_;  // digest after the last applied change, if known
  // The newest seq the hub was given (or subscribers were reset past).
  std::uint64_t published_ = 0;
  bool verify_history_ = false;    // a store error happened: check continuity
  bool checkpoint_tried_ = false;  // only the first build may use it
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace banlist::service
