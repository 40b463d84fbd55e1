// subscription_feed: what both subscription transports share — where the
// subscriber is (cursor seq and the digest there), the replay from the
// change log, the hand-over to the live batches the hub delivers (without a
// gap or a duplicate), the bounded live queue, heartbeats and resets. A
// session (websocket_session, sse_session) supplies the framing through
// subscription_sink and owns the feed.
//
// Hand-over: the session registers with the hub *before* run() starts, so
// every batch published from then on lands in the live queue. run() replays
// the log until a read comes back empty, then takes live batches in order:
// one ending at or before the cursor is skipped, one starting at the cursor
// is sent as is (the shared buffer), one overlapping the cursor is re-encoded
// without its sent part, and one starting after the cursor means changes are
// missing (published before registration, or dropped) and are read from the
// log first. While replaying, a full live queue is simply dropped (the log
// has everything in it), and the replay then reads the log once more before
// it ends, since the dropped batches may be newer than its last read; once
// live, a full queue is a slow consumer.
//
// Waking: an idle run() parks its own completion handler (parked_) and
// whatever gives it work (a reset, the peer leaving, the heartbeat timer, a
// live batch that needs more than a write) resumes it in place on the
// strand. A live batch that is simply the next one in order is written
// while run() stays parked (start_changes, completion in on_written(), which
// writes the next such batch or resumes run()): a broadcast costs an idle
// subscriber one strand post and its write, no coroutine frame, no timer.
// run() is only resumed when no such write is in flight, so there is still
// one writer at a time. The heartbeat timer is armed once per interval and
// re-arms itself while messages keep the connection busy.
//
// Thread-safety: none; strand-confined. Every member but the constructor
// runs on the owning session's strand.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hub.hpp"
#include "store/store.hpp"

namespace banlist::service {

class service_state;

// The framing of one transport. The feed awaits one call at a time.
class subscription_sink {
 public:
  virtual ~subscription_sink() = default;
  // Send one {"type":"changes"} message whose last seq is `last_seq`.
  // Returns false when the connection failed.
  virtual boost::asio::awaitable<bool> send_changes(std::shared_ptr<const std::string> message,
                                                    std::uint64_t last_seq) = 0;
  // The same without a coroutine: starts writing the message and returns
  // true, and when the write completes calls the feed's on_written() on the
  // strand. A sink that cannot returns false and the feed uses send_changes.
  virtual bool start_changes(std::shared_ptr<const std::string> message, std::uint64_t last_seq) {
    (void)message;
    (void)last_seq;
    return false;
  }
  virtual boost::asio::awaitable<bool> send_heartbeat(std::string message) = 0;
  // The last message of the subscription; the sink closes the connection after it.
  virtual boost::asio::awaitable<void> send_reset(std::string message, sdk::reset_reason reason,
                                                  std::uint64_t last_seq) = 0;
  // Ends the connection without a reset (the peer left, or the store failed).
  virtual boost::asio::awaitable<void> finish(bool server_error) = 0;
};

class subscription_feed {
 public:
  // Changes per replay read (and so at most per replayed message).
  static constexpr std::size_t kReplayPage = 1000;
  // How long a log read is retried through transient store errors (the
  // connection to Redis being re-established) before the subscription ends.
  static constexpr std::chrono::milliseconds kStoreRetryFor{5000};
  static constexpr std::chrono::milliseconds kStoreRetryPause{100};

  subscription_feed(service_state& state, boost::asio::any_io_executor strand,
                    std::shared_ptr<subscriber_stats> stats);
  ~subscription_feed();
  subscription_feed(const subscription_feed&) = delete;
  subscription_feed& operator=(const subscription_feed&) = delete;

  // A batch from the hub. Over the limits while live: the subscriber is reset
  // as a slow consumer.
  void push_live(std::shared_ptr<const published_batch> batch);
  // Ends the subscription with a reset (shutdown, resync): idempotent.
  void request_reset(sdk::reset_reason reason);
  // The peer went away: ends run() without writing anything more.
  void peer_gone();
  // Completion of a subscription_sink::start_changes write.
  void on_written(bool ok);

  // Serves the subscription from `since` until it ends. `epoch`, when the
  // client named one, must be the list's.
  boost::asio::awaitable<void> run(subscription_sink& sink, std::uint64_t since,
                                   std::optional<std::uint64_t> epoch);

  std::uint64_t cursor() const noexcept { return cursor_; }
  // The newest seq handed to the socket (written or being written): a fast
  // client may ack it before the write's completion updates cursor().
  // Replays advance cursor_ without going through send_batch, hence the max.
  std::uint64_t offered() const noexcept { return std::max(offered_, cursor_); }

 private:
  enum class step { ok, peer_failed, resync, store_failed };

  // store::read_changes without waiting, retried while the error is
  // transient and the subscription still wants the answer.
  boost::asio::awaitable<store_result<std::vector<change>>> read_log(store& s, std::uint64_t after,
                                                                     std::size_t count);
  // Sets cursor_ to `since` and digest_ to the digest there.
  boost::asio::awaitable<step> locate(store& s, std::uint64_t since);
  // Sends everything the log holds after cursor_, page by page.
  boost::asio::awaitable<step> replay(subscription_sink& sink, store& s);
  boost::asio::awaitable<step> send_batch(subscription_sink& sink,
                                          std::shared_ptr<const std::string> message,
                                          const sdk::delta_batch& batch);
  boost::asio::awaitable<step> take_live(subscription_sink& sink, store& s,
                                         std::shared_ptr<const published_batch> live);
  // After `batch` was written whole.
  void note_sent(const sdk::delta_batch& batch);
  // Resumes a parked run(), in place when on the strand already.
  void wake();
  // Arms the heartbeat timer at last_send_ + the heartbeat interval.
  void arm_heartbeat();
  void on_heartbeat_timer();
  // The front of live_ is the next batch in order and nothing else is due.
  bool next_is_plain_write() const;
  // Pops the front of live_ and starts writing it while run() stays parked.
  void start_parked_write();

  // A parked run()'s completion handler, type-erased (it is move-only).
  class parked_run {
   public:
    virtual ~parked_run() = default;
    virtual void resume() = 0;
  };
  template <class Handler>
  class parked_handler;
  struct park_initiation;

  service_state& state_;
  std::shared_ptr<subscriber_stats> stats_;
  boost::asio::steady_timer heartbeat_;
  // Cleared by the destructor: a timer completion already queued when the
  // feed goes away must not touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<parked_run> parked_;  // set while run() waits for work
  bool heartbeat_due_ = false;
  subscription_sink* sink_ = nullptr;               // run()'s sink, while run() is live
  std::shared_ptr<const published_batch> writing_;  // start_changes in flight
  bool write_failed_ = false;
  std::deque<std::shared_ptr<const published_batch>> live_;
  std::size_t live_bytes_ = 0;
  bool replaying_ = true;
  // A full live queue was dropped while replaying: what it held may be newer
  // than the replay's last read, so the replay reads the log again.
  bool dropped_while_replaying_ = false;
  bool peer_gone_ = false;
  std::optional<sdk::reset_reason> pending_reset_;
  std::uint64_t cursor_ = 0;
  std::uint64_t offered_ = 0;  // the newest seq send_batch handed to the sink
  fingerprint digest_;
  std::chrono::steady_clock::time_point last_send_;
  std::string store_error_;  // the last log read's failure, for the log line
};

// The wire form of a log entry; a reason outside the wire vocabulary (an
// entry written before reasons were validated) is sent as `other`, so the
// digest chain stays intact for the client.
sdk::delta_change wire_change(const change& entry);

}  // namespace banlist::service
