// hub: the live subscribers of this banlistd (WebSocket and SSE sessions) and
// the fan-out of applied change batches to them. The change follower encodes
// each batch once (published_batch) and publish() hands the same immutable
// buffer to every subscriber; a subscriber's deliver() only posts to its own
// strand, so the hub never waits on a socket and a slow subscriber cannot
// slow the others (its bounded queue resets it instead).
//
// Thread-safety: every member may be called from any thread; the subscriber
// table is guarded by mutex_, the statistics are atomics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "banlist/sdk/delta.hpp"
#include "banlist/sdk/subscription.hpp"

namespace banlist::service {

// One batch of changes as the follower applied it: the structured batch (a
// session that already sent part of it re-encodes the rest) and its
// {"type":"changes",...} message, encoded once and shared by all sessions.
struct published_batch {
  sdk::delta_batch batch;
  std::shared_ptr<const std::string> message;
};

// Builds a published_batch (encodes the message). Requires: validate(batch).
std::shared_ptr<const published_batch> make_published_batch(sdk::delta_batch batch);

// What a session reports about itself; written by the session, read by the
// admin route and /metrics from any thread.
struct subscriber_stats {
  std::string key_id;     // API key id of the subscriber (never the secret)
  std::string transport;  // "websocket" or "sse"
  std::int64_t connected_at_ms = 0;
  std::atomic<std::uint64_t> since{0};      // where the subscription started
  std::atomic<std::uint64_t> sent_seq{0};   // last seq sent
  std::atomic<std::uint64_t> acked_seq{0};  // last seq the client acknowledged (WebSocket)
  std::atomic<bool> acked{false};           // an ack arrived at all
  std::atomic<std::uint64_t> queued{0};     // messages waiting in its send queue
};

class subscriber {
 public:
  virtual ~subscriber() = default;
  // Hands a batch to the session. Must not block: posts to the session's strand.
  virtual void deliver(std::shared_ptr<const published_batch> batch) = 0;
  // The list this instance follows was reloaded (gap, rewind, epoch change):
  // the session sends reset(reason) and closes. Must not block.
  virtual void reset(sdk::reset_reason reason) = 0;
};

class hub {
 public:
  struct subscriber_view {
    std::uint64_t id = 0;
    std::string key_id;
    std::string transport;
    std::int64_t connected_at_ms = 0;
    std::uint64_t since = 0;
    std::uint64_t sent_seq = 0;
    std::uint64_t acked_seq = 0;
    bool acked = false;
    std::uint64_t queued = 0;
    std::uint64_t lag = 0;  // head() - acked_seq (or - sent_seq before the first ack)
  };

  // Registers a subscriber (held weakly) with its statistics. Returns its id.
  std::uint64_t add(std::weak_ptr<subscriber> s, std::shared_ptr<const subscriber_stats> stats);
  void remove(std::uint64_t id);

  // Delivers `batch` to every subscriber and advances head() to its `to`.
  void publish(std::shared_ptr<const published_batch> batch);
  // Resets every subscriber (see subscriber::reset).
  void reset_all(sdk::reset_reason reason);

  // Newest seq this instance has applied from the change log.
  std::uint64_t head() const noexcept { return head_.load(std::memory_order_acquire); }
  void set_head(std::uint64_t seq) noexcept { head_.store(seq, std::memory_order_release); }

  std::size_t size() const;
  std::vector<subscriber_view> list() const;

  // Counts a reset sent to a subscriber, by reason (for /metrics).
  void count_reset(sdk::reset_reason reason) noexcept;
  void count_messages(std::uint64_t n) noexcept {
    messages_sent_.fetch_add(n, std::memory_order_relaxed);
  }
  // Appends the subscriber families (count, per-key lag, resets, messages) to `out`.
  void render_metrics(std::string& out) const;

 private:
  struct entry {
    std::weak_ptr<subscriber> session;
    std::shared_ptr<const subscriber_stats> stats;
  };
  std::vector<std::shared_ptr<subscriber>> live() const;

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;               // guarded by mutex_
  std::map<std::uint64_t, entry> entries_;  // guarded by mutex_
  std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> batches_published_{0};
  std::atomic<std::uint64_t> messages_sent_{0};
  std::array<std::atomic<std::uint64_t>, 4> resets_{};  // by reset_reason code
};

}  // namespace banlist::service
