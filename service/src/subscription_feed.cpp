#include "subscription_feed.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "deltas/delta_change.hpp"
#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

constexpr std::uint8_t kOtherReason = 255;  // `other` in both reason vocabularies

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

sdk::delta_change wire_change(const change& entry) {
  if (auto converted = to_delta_change(entry))
    return *converted;
  sdk::delta_change out;
  out.seq = entry.seq;
  out.op = entry.op == change_op::ban ? sdk::change_op::ban : sdk::change_op::lift;
  out.fp = entry.fp;
  out.type = entry.type;
  out.reason = kOtherReason;
  out.at_ms = std::clamp<std::int64_t>(entry.at_ms, 0, sdk::kMaxTimeMs);
  return out;
}

template <class Handler>
class subscription_feed::parked_handler final : public subscription_feed::parked_run {
 public:
  explicit parked_handler(Handler handler) : handler_(std::move(handler)) {}
  void resume() override {
    // The handler's executor is the session's strand, which we are on:
    // dispatch resumes the coroutine right here instead of queueing it.
    auto executor = asio::get_associated_executor(handler_);
    asio::dispatch(executor, std::move(handler_));
  }

 private:
  Handler handler_;
};

struct subscription_feed::park_initiation {
  subscription_feed* feed;
  template <class Handler>
  void operator()(Handler&& handler) const {
    feed->parked_ =
        std::make_unique<parked_handler<std::decay_t<Handler>>>(std::forward<Handler>(handler));
  }
};

subscription_feed::subscription_feed(service_state& state, asio::any_io_executor strand,
                                     std::shared_ptr<subscriber_stats> stats)
    : state_(state), stats_(std::move(stats)), heartbeat_(std::move(strand)) {}

subscription_feed::~subscription_feed() {
  *alive_ = false;
}

void subscription_feed::wake() {
  if (!parked_ || writing_)
    return;  // running, or on_written() wakes it
  // Out of the member first: the resumed run() may park again at once.
  // Callers touch nothing of the feed after wake(): run() may end inside it.
  auto parked = std::move(parked_);
  parked->resume();
}

void subscription_feed::arm_heartbeat() {
  heartbeat_.expires_at(last_send_ + state_.config().heartbeat_interval);
  heartbeat_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive)
      return;  // cancelled when run() ended, or the feed is gone
    on_heartbeat_timer();
  });
}

void subscription_feed::on_heartbeat_timer() {
  const auto due = last_send_ + state_.config().heartbeat_interval;
  if (std::chrono::steady_clock::now() < due) {
    arm_heartbeat();  // messages went out meanwhile: no heartbeat needed yet
    return;
  }
  heartbeat_due_ = true;  // run() sends it and re-arms the timer
  wake();
}

void subscription_feed::push_live(std::shared_ptr<const published_batch> batch) {
  if (peer_gone_ || pending_reset_)
    return;
  const auto& config = state_.config();
  const std::size_t size = batch->message->size();
  if (live_.size() + 1 > config.stream_queue_messages ||
      live_bytes_ + size > config.stream_queue_bytes) {
    live_.clear();
    live_bytes_ = 0;
    if (!replaying_) {
      // Live and not keeping up: its resume point is what it was sent.
      pending_reset_ = sdk::reset_reason::slow_consumer;
      stats_->queued.store(0, std::memory_order_relaxed);
      wake();
      return;
    }
    // Replaying: the log holds all of it; replay() reads it from there.
    dropped_while_replaying_ = true;
  }
  live_bytes_ += size;
  live_.push_back(std::move(batch));
  stats_->queued.store(live_.size(), std::memory_order_relaxed);
  if (parked_ && !writing_ && next_is_plain_write()) {
    start_parked_write();
    return;
  }
  wake();
}

bool subscription_feed::next_is_plain_write() const {
  if (sink_ == nullptr || live_.empty() || peer_gone_ || pending_reset_ || heartbeat_due_ ||
      write_failed_)
    return false;
  const sdk::delta_batch& b = live_.front()->batch;
  return b.epoch == state_.epoch() && b.from == cursor_;
}

void subscription_feed::start_parked_write() {
  writing_ = std::move(live_.front());
  live_.pop_front();
  live_bytes_ -= writing_->message->size();
  stats_->queued.store(live_.size(), std::memory_order_relaxed);
  offered_ = std::max(offered_, writing_->batch.to);
  if (!sink_->start_changes(writing_->message, writing_->batch.to)) {
    // This transport writes only from run(): give the batch back to it.
    live_bytes_ += writing_->message->size();
    live_.push_front(std::move(writing_));
    writing_.reset();
    stats_->queued.store(live_.size(), std::memory_order_relaxed);
    wake();
  }
}

void subscription_feed::on_written(bool ok) {
  auto done = std::move(writing_);
  writing_.reset();
  if (!ok) {
    write_failed_ = true;
  } else if (done) {
    note_sent(done->batch);
  }
  if (parked_ && next_is_plain_write()) {
    start_parked_write();
    return;
  }
  wake();
}

void subscription_feed::request_reset(sdk::reset_reason reason) {
  if (!pending_reset_)
    pending_reset_ = reason;
  wake();
}

void subscription_feed::peer_gone() {
  peer_gone_ = true;
  wake();
}

// Log reads are idempotent, so an error that says "not connected" or "no
// reply in time" (Redis restarting, the link being re-established after a
// stall) is tried again. Ending at once would cut every lagging subscriber
// off with close 1011 over a hiccup of a second; they would all reconnect and
// replay again, a worse load on a Redis that just came back.
asio::awaitable<store_result<std::vector<change>>> subscription_feed::read_log(store& s,
                                                                               std::uint64_t after,
                                                                               std::size_t count) {
  // The window starts at the first failure, not at the call: a read sent
  // before the process was stopped (SIGSTOP, a VM pause) fails on resuming,
  // with the whole window still ahead of it.
  std::optional<std::chrono::steady_clock::time_point> give_up;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (true) {
    auto page = co_await s.read_changes(after, count, std::chrono::milliseconds(0));
    if (page)
      co_return page;
    store_error_ = page.error().message;
    const bool transient = page.error().code == store_errc::unavailable ||
                           page.error().code == store_errc::outcome_unknown;
    const auto now = std::chrono::steady_clock::now();
    if (!give_up)
      give_up = now + kStoreRetryFor;
    if (!transient || peer_gone_ || pending_reset_ || state_.shutting_down() ||
        now + kStoreRetryPause > *give_up)
      co_return page;
    pause.expires_after(kStoreRetryPause);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<subscription_feed::step> subscription_feed::locate(store& s, std::uint64_t since) {
  cursor_ = since;
  offered_ = since;
  digest_ = fingerprint{};
  if (since == 0)
    co_return step::ok;
  // The digest at `since` is in its log entry, or is the next entry's with
  // that entry's fingerprint toggled out again (ban and lift both XOR).
  auto page = co_await read_log(s, since - 1, 2);
  if (!page)
    co_return step::store_failed;
  if (page->empty())
    co_return step::resync;  // beyond the head: another history of the list
  const change& first = page->front();
  if (first.seq == since) {
    digest_ = first.digest;
  } else if (first.seq == since + 1) {
    digest_ = fingerprint{first.digest.high ^ first.fp.high, first.digest.low ^ first.fp.low};
  } else {
    co_return step::resync;  // trimmed past `since`
  }
  co_return step::ok;
}

void subscription_feed::note_sent(const sdk::delta_batch& batch) {
  cursor_ = batch.to;
  digest_ = batch.digest;
  last_send_ = std::chrono::steady_clock::now();
  stats_->sent_seq.store(cursor_, std::memory_order_relaxed);
  state_.hub().count_messages(1);
}

asio::awaitable<subscription_feed::step> subscription_feed::send_batch(
    subscription_sink& sink, std::shared_ptr<const std::string> message,
    const sdk::delta_batch& batch) {
  // g++ 12: no temporaries or conditions around co_await (see store.hpp).
  const std::uint64_t last = batch.to;
  offered_ = std::max(offered_, last);
  const bool sent = co_await sink.send_changes(message, last);
  if (!sent)
    co_return step::peer_failed;
  note_sent(batch);
  co_return step::ok;
}

asio::awaitable<subscription_feed::step> subscription_feed::replay(subscription_sink& sink,
                                                                   store& s) {
  replaying_ = true;
  dropped_while_replaying_ = false;
  while (!peer_gone_ && !pending_reset_) {
    auto page = co_await read_log(s, cursor_, kReplayPage);
    if (!page)
      co_return step::store_failed;
    if (page->empty()) {
      // Batches dropped during that read may be newer than what it saw; if
      // none follows them, nothing else would bring the subscriber there.
      if (!dropped_while_replaying_)
        break;
      dropped_while_replaying_ = false;
      continue;
    }
    if (page->front().seq != cursor_ + 1)
      co_return step::resync;  // the log was trimmed past the cursor
    sdk::delta_batch batch;
    batch.epoch = state_.epoch();
    batch.from = cursor_;
    batch.to = page->back().seq;
    batch.head = std::max(batch.to, state_.hub().head());
    batch.more = batch.to < batch.head;
    batch.digest = page->back().digest;
    batch.changes.reserve(page->size());
    for (const auto& entry : *page)
      batch.changes.push_back(wire_change(entry));
    auto message = std::make_shared<const std::string>(sdk::encode_changes_message(batch));
    const step r = co_await send_batch(sink, message, batch);
    if (r != step::ok)
      co_return r;
  }
  replaying_ = false;
  co_return step::ok;
}

asio::awaitable<subscription_feed::step> subscription_feed::take_live(
    subscription_sink& sink, store& s, std::shared_ptr<const published_batch> live) {
  const sdk::delta_batch& b = live->batch;
  if (b.epoch != state_.epoch())
    co_return step::resync;
  if (b.to <= cursor_)
    co_return step::ok;  // already sent by the replay
  if (b.from > cursor_) {
    // Changes between the cursor and this batch never reached the queue:
    // read them (and whatever followed) from the log.
    const step r = co_await replay(sink, s);
    if (r != step::ok)
      co_return r;
    if (cursor_ < b.from)
      co_return step::resync;  // the log lacks what the follower saw: Redis lost data
    if (b.to <= cursor_)
      co_return step::ok;
  }
  if (b.from == cursor_) {
    std::shared_ptr<const std::string> shared = live->message;
    const step r = co_await send_batch(sink, shared, b);
    co_return r;
  }
  // Part of it was replayed: send the rest, encoded for this session only.
  sdk::delta_batch rest = b;
  std::erase_if(rest.changes, [&](const sdk::delta_change& c) { return c.seq <= cursor_; });
  rest.from = cursor_;
  auto message = std::make_shared<const std::string>(sdk::encode_changes_message(rest));
  const step r = co_await send_batch(sink, message, rest);
  co_return r;
}

asio::awaitable<void> subscription_feed::run(subscription_sink& sink, std::uint64_t since,
                                             std::optional<std::uint64_t> epoch) {
  stats_->since.store(since, std::memory_order_relaxed);
  stats_->sent_seq.store(since, std::memory_order_relaxed);
  last_send_ = std::chrono::steady_clock::now();
  auto s = state_.current_store();
  step r = step::store_failed;
  store_error_ = "no store";
  if (s) {
    if (epoch && *epoch != state_.epoch()) {
      r = step::resync;
    } else {
      r = co_await locate(*s, since);
    }
    if (r == step::ok)
      r = co_await replay(sink, *s);
  }
  if (r == step::ok) {
    arm_heartbeat();
    sink_ = &sink;
  }
  while (r == step::ok && !peer_gone_ && !pending_reset_) {
    if (write_failed_) {
      r = step::peer_failed;
      break;
    }
    if (!live_.empty()) {
      auto next = std::move(live_.front());
      live_.pop_front();
      live_bytes_ -= next->message->size();
      stats_->queued.store(live_.size(), std::memory_order_relaxed);
      const sdk::delta_batch& b = next->batch;
      if (b.epoch == state_.epoch() && b.from == cursor_) {
        // The usual case, without take_live's and send_batch's frames: the
        // next batch in order, written from the shared buffer.
        const std::uint64_t last = b.to;
        offered_ = std::max(offered_, last);
        std::shared_ptr<const std::string> shared = next->message;
        const bool sent = co_await sink.send_changes(shared, last);
        if (sent) {
          note_sent(b);
        } else {
          r = step::peer_failed;
        }
        continue;
      }
      r = co_await take_live(sink, *s, next);
      continue;
    }
    if (heartbeat_due_) {
      heartbeat_due_ = false;
      sdk::heartbeat beat;
      beat.epoch = state_.epoch();
      beat.head = cursor_;
      beat.digest = digest_;
      beat.at_ms = now_ms();
      last_send_ = std::chrono::steady_clock::now();
      std::string text = sdk::encode_heartbeat_message(beat);
      const bool sent = co_await sink.send_heartbeat(std::move(text));
      if (!sent)
        r = step::peer_failed;
      else
        arm_heartbeat();
      continue;
    }
    park_initiation park{this};
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(park,
                                                                          asio::use_awaitable);
  }
  // No parked write can be in flight here: run() only resumes without one.
  sink_ = nullptr;
  // Its pending wait completes with operation_aborted and touches nothing.
  heartbeat_.cancel();
  if (peer_gone_ || r == step::peer_failed) {
    co_await sink.finish(false);
    co_return;
  }
  // A reset asked for meanwhile (the follower found the log trimmed past
  // it, a shutdown) is the better answer: it says what to do next, where a
  // store failure only ends the subscription.
  if (r == step::store_failed && !pending_reset_) {
    log_line(log_level::warning,
             "subscription ended: the change log could not be read: " + store_error_);
    co_await sink.finish(true);
    co_return;
  }
  const sdk::reset_reason reason =
      r == step::resync ? sdk::reset_reason::resync_required : *pending_reset_;
  state_.hub().count_reset(reason);
  sdk::reset_notice notice;
  notice.last_seq = cursor_;
  notice.reason = reason;
  std::string text = sdk::encode_reset_message(notice);
  const std::uint64_t last = cursor_;
  co_await sink.send_reset(std::move(text), reason, last);
}

}  // namespace banlist::service
