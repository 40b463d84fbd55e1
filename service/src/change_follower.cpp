#include "change_follower.hpp"

#include <algorithm>
#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "deltas/snapshot_checkpoint.hpp"
#include "log.hpp"
#include "service_state.hpp"
#include "subscription_feed.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

const char* errc_name(store_errc code) {
  switch (code) {
    case store_errc::unavailable:
      return "unavailable";
    case store_errc::outcome_unknown:
      return "outcome_unknown";
    case store_errc::not_found:
      return "not_found";
    case store_errc::redis_error:
      return "redis_error";
    case store_errc::protocol_error:
      return "protocol_error";
  }
  return "unknown";
}

}  // namespace

change_follower::change_follower(service_state& state, asio::any_io_executor executor)
    : state_(state), executor_(std::move(executor)) {}

void change_follower::start() {
  asio::co_spawn(
      executor_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

asio::awaitable<void> change_follower::pause(std::chrono::milliseconds how_long) {
  asio::steady_timer timer(executor_, how_long);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<bool> change_follower::rebuild(store& s) {
  const auto& config = state_.config();
  // Whatever the window holds may belong to the history being replaced.
  state_.recent_changes().clear();
  std::optional<opened_checkpoint> restored;
  if (!checkpoint_tried_) {
    checkpoint_tried_ = true;
    restored = co_await from_checkpoint(s);
  }
  std::optional<bloom::filter> built;
  std::uint64_t count = 0;
  std::uint64_t capacity = 0;
  std::uint64_t loaded_seq = 0;
  if (restored) {
    // Streamed from the file a chunk at a time: the list is never in
    // memory. Its entries are proven (order, checksum, digest) only at the
    // end; a damaged file throws the filter away and scans instead.
    count = restored->reader.header().count;
    // Room for the log it replays as well: every ban there may be new, and
    // a filter filled past its capacity is rebuilt by a full scan, the
    // very thing the checkpoint is there to spare (a checkpoint hours old
    // on a busy list is followed by many changes).
    const std::uint64_t behind = restored->log_head - restored->reader.header().seq;
    capacity = std::max<std::uint64_t>({config.filter_capacity, 2 * (count + behind), 1});
    auto made = bloom::filter::with_capacity(capacity, config.filter_fp_rate, *state_.seed());
    if (!made) {
      log_line(log_level::error, "cannot build the filter: " + made.error().message());
      co_return false;
    }
    std::vector<banned_entry> chunk(kCheckpointChunk);
    std::vector<fingerprint> fps;
    fps.reserve(kCheckpointChunk);
    std::expected<void, std::string> streamed{};
    while (streamed) {
      auto got = restored->reader.next(chunk);
      if (!got) {
        streamed = std::unexpected(got.error());
        break;
      }
      if (*got == 0)
        break;
      fps.clear();
      for (std::size_t i = 0; i < *got; ++i)
        fps.push_back(chunk[i].fp);
      made->insert_batch(fps);
    }
    if (streamed)
      streamed = restored->reader.finish();
    if (streamed) {
      built.emplace(std::move(*made));
      loaded_seq = restored->reader.header().seq;
    } else {
      log_line(log_level::warning,
               "start-up checkpoint not used: " + streamed.error() + "; scanning Redis");
      restored.reset();
    }
  }
  std::shared_ptr<scan_runs> scan;
  if (!restored) {
    // Kept as sorted runs in the snapshot directory, not in memory
    // (scan_runs.hpp); the snapshot cache's first build merges the same runs.
    scan = std::make_shared<scan_runs>(&state_.snapshots().files());
    std::expected<void, std::string> spilled;
    std::function<bool(std::span<const banned_entry>)> keep =
        [&scan, &spilled](std::span<const banned_entry> page) {
          spilled = scan->add(page);
          return spilled.has_value();
        };
    auto scanned = co_await s.scan_banned(std::move(keep));
    if (!spilled) {
      log_line(log_level::warning, "keeping the scan of the banned set failed: " + spilled.error());
      co_return false;
    }
    if (!scanned) {
      state_.metrics().record_store_error(errc_name(scanned.error().code));
      log_line(log_level::warning, "loading the banned set failed: " + scanned.error().message);
      co_return false;
    }
    scan->seal();
    capacity = std::max<std::uint64_t>({config.filter_capacity, 2 * scan->added(), 1});
    auto made = bloom::filter::with_capacity(capacity, config.filter_fp_rate, *state_.seed());
    if (!made) {
      log_line(log_level::error, "cannot build the filter: " + made.error().message());
      co_return false;
    }
    std::vector<fingerprint> fps;
    fps.reserve(kCheckpointChunk);
    auto walked = scan->walk([&](const banned_entry& e) {
      fps.push_back(e.fp);
      ++count;
      if (fps.size() == kCheckpointChunk) {
        made->insert_batch(fps);
        fps.clear();
      }
    });
    if (!walked) {
      log_line(log_level::warning,
               "reading back the scan of the banned set failed: " + walked.error());
      co_return false;
    }
    made->insert_batch(fps);
    built.emplace(std::move(*made));
    loaded_seq = *scanned;
  }
  // Catch up with what happened while loading, so the swap loses nothing.
  std::uint64_t seq = loaded_seq;
  last_digest_.reset();  // known again once a change is read
  while (true) {
    auto changes = co_await s.read_changes(seq, kBatch, std::chrono::milliseconds(0));
    if (!changes) {
      state_.metrics().record_store_error(errc_name(changes.error().code));
      co_return false;
    }
    if (!changes->empty() && changes->front().seq != seq + 1) {
      // Trimmed past the list's seq since it was read (a checkpoint at the
      // retention boundary): bans in the gap would be missing from the
      // filter. Fail; the retry scans.
      log_line(log_level::warning, "the change log no longer continues seq " + std::to_string(seq) +
                                       "; loading the banned set again");
      co_return false;
    }
    for (const auto& c : *changes) {
      if (c.op == change_op::ban && !built->may_contain(c.fp))
        built->insert(c.fp);
      seq = std::max(seq, c.seq);
      last_digest_ = c.digest;
    }
    if (changes->size() < kBatch)
      break;
  }
  // The snapshot cache's first build needs the same list: hand it over
  // rather than have it read 10M entries from Redis again (the scan, or the
  // checkpoint file it merges with the log). Before the install, because
  // the cache starts its first build once the filter is loaded, and must
  // find the offer there.
  if (scan) {
    state_.snapshots().offer_scan(std::move(scan), loaded_seq, state_.epoch());
  } else {
    state_.snapshots().offer_base(config.checkpoint_path, loaded_seq, state_.epoch());
  }
  state_.filter().install(std::move(*built), capacity, seq);
  log_line(log_level::info, "filter built: " + std::to_string(count) + " bans, capacity " +
                                std::to_string(capacity) + ", seq " + std::to_string(seq));
  co_return true;
}

asio::awaitable<std::optional<change_follower::opened_checkpoint>> change_follower::from_checkpoint(
    store& s) {
  const std::string& path = state_.config().checkpoint_path;
  if (path.empty() || !state_.seed())
    co_return std::nullopt;
  std::error_code exists_ec;
  if (!std::filesystem::exists(path, exists_ec))
    co_return std::nullopt;  // none written yet
  auto reader = fps_reader::open(path);
  if (!reader) {
    log_line(log_level::warning, "start-up checkpoint not used: " + reader.error());
    co_return std::nullopt;
  }
  checkpoint cp;  // the header is all continues() looks at
  cp.epoch = reader->header().epoch;
  cp.seed = reader->header().seed;
  cp.seq = reader->header().seq;
  cp.digest = reader->header().digest;
  auto log = co_await s.log_state();
  if (!log)
    co_return std::nullopt;  // the scan will report the store error
  std::optional<change> next;
  if (cp.seq < log->head) {
    auto page = co_await s.read_changes(cp.seq, 1, std::chrono::milliseconds(0));
    if (page && !page->empty())
      next = std::move(page->front());
  }
  const change* next_entry = next ? &*next : nullptr;
  auto usable = continues(cp, state_.epoch(), *state_.seed(), *log, next_entry);
  if (!usable) {
    log_line(log_level::warning,
             "start-up checkpoint " + path + " not used: " + usable.error() + "; scanning Redis");
    co_return std::nullopt;
  }
  log_line(log_level::info, "banned set from the start-up checkpoint: " +
                                std::to_string(reader->header().count) + " bans at seq " +
                                std::to_string(cp.seq) + ", log head " + std::to_string(log->head));
  co_return opened_checkpoint{std::move(*reader), log->head};
}

void change_follower::publish(std::uint64_t after, const std::vector<change>& changes) {
  sdk::delta_batch batch;
  batch.epoch = state_.epoch();
  batch.from = after;
  batch.to = changes.back().seq;
  batch.head = batch.to;
  batch.digest = changes.back().digest;
  batch.changes.reserve(changes.size());
  for (const auto& c : changes)
    batch.changes.push_back(wire_change(c));
  if (!sdk::validate(batch)) {
    // Seqs beyond 2^53 or out of order: never expected from our own scripts.
    log_line(log_level::error, "change log batch after seq " + std::to_string(after) +
                                   " is not a valid delta batch; not published");
    return;
  }
  state_.hub().publish(make_published_batch(std::move(batch)));
}

asio::awaitable<bool> change_follower::publish_caught_up(store& s) {
  const std::uint64_t upto = state_.filter().seq();
  while (published_ < upto) {
    auto changes = co_await s.read_changes(published_, kBatch, std::chrono::milliseconds(0));
    if (!changes) {
      state_.metrics().record_store_error(errc_name(changes.error().code));
      co_return false;
    }
    if (changes->empty() || changes->front().seq != published_ + 1) {
      // Trimmed past what subscribers were sent while the filter was
      // rebuilt (or the log went back): they can only start again.
      log_line(log_level::warning, "change log no longer holds seq " +
                                       std::to_string(published_ + 1) +
                                       " for subscribers; resetting them");
      state_.hub().reset_all(sdk::reset_reason::resync_required);
      published_ = upto;
      co_return true;
    }
    std::erase_if(*changes, [&](const change& c) { return c.seq > upto; });
    // The rebuild emptied the window; it continues from here.
    state_.recent_changes().append(state_.epoch(), *changes);
    publish(published_, *changes);
    published_ = changes->back().seq;
  }
  co_return true;
}

asio::awaitable<bool> change_follower::rewound(store& s, std::uint64_t after, bool deep) {
  auto log = co_await s.log_state();
  if (!log)
    co_return false;  // cannot tell now; the next round asks again
  std::string why;
  if (log->head < after) {
    why = "the primary's change log head " + std::to_string(log->head) +
          " is below the applied seq " + std::to_string(after);
  } else if (deep && last_digest_ && after > 0) {
    // Same length or longer, but is it the same history? The digest after
    // seq `after` must be the one we applied.
    std::optional<fingerprint> there;
    if (log->head == after) {
      there = log->digest;
    } else if (auto entry = co_await s.read_changes(after - 1, 1, std::chrono::milliseconds(0));
               entry && !entry->empty() && entry->front().seq == after) {
      there = entry->front().digest;
    }
    if (there && *there != *last_digest_) {
      why = "the primary's change log at seq " + std::to_string(after) +
            " differs from the applied one (another history)";
    }
  }
  const std::uint64_t seed = *state_.seed();
  if (why.empty() && deep) {
    auto id = co_await s.init_list(seed);
    if (id && id->epoch != state_.epoch())
      why = "the list's epoch changed (rebuilt list)";
  }
  if (why.empty())
    co_return false;
  log_line(log_level::error,
           "history regression: " + why +
               ". Acknowledged changes may have been lost (failover without --replica-acks, "
               "or Redis restarted from an older or empty data set); resyncing the filter and "
               "resetting subscribers");
  state_.filter().note_regression(why + " (applied seq " + std::to_string(after) + ", epoch " +
                                  std::to_string(state_.epoch()) + ")");
  state_.metrics().record_store_error("history_regression");
  // A rebuilt list has a new epoch; init_list returns what Redis holds (and
  // stores one if the list vanished altogether).
  auto id = co_await s.init_list(seed);
  if (id && id->epoch != state_.epoch())
    state_.set_epoch(id->epoch);
  last_digest_.reset();
  co_return true;
}

asio::awaitable<void> change_follower::run() {
  std::chrono::milliseconds backoff{100};
  bool need_rebuild = true;
  while (!stopping_.load(std::memory_order_acquire)) {
    auto s = state_.current_store();
    if (!s) {
      co_await pause(backoff);
      continue;
    }
    if (need_rebuild || state_.filter().needs_rebuild()) {
      if (!co_await rebuild(*s)) {
        co_await pause(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      // The first build, or another history (subscribers were reset):
      // nothing before the new filter's seq is owed to anyone. A rebuild for
      // room leaves published_ where it was.
      if (need_rebuild)
        published_ = state_.filter().seq();
      need_rebuild = false;
      state_.hub().set_head(state_.filter().seq());
    }
    if (published_ < state_.filter().seq() && !co_await publish_caught_up(*s)) {
      verify_history_ = true;
      co_await pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    const std::uint64_t after = state_.filter().seq();
    if (verify_history_) {
      // After a store error (failover, restart), before reading on: is the
      // primary's log still the continuation of what we applied?
      if (co_await rewound(*s, after, true)) {
        verify_history_ = false;
        need_rebuild = true;
        state_.hub().reset_all(sdk::reset_reason::resync_required);
        continue;
      }
      verify_history_ = !s->connected();
    }
    auto changes = co_await s->read_changes(after, kBatch, kBlock);
    if (!changes) {
      verify_history_ = true;
      state_.metrics().record_store_error(errc_name(changes.error().code));
      co_await pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (!changes->empty() && changes->front().seq != after + 1) {
      // The log was trimmed past our seq: only a full reload is correct.
      log_line(log_level::warning,
               "change log gap after seq " + std::to_string(after) + "; rebuilding the filter");
      need_rebuild = true;
      state_.hub().reset_all(sdk::reset_reason::resync_required);
      continue;
    }
    if (changes->empty()) {
      const bool went_back = co_await rewound(*s, after, false);
      if (went_back) {
        need_rebuild = true;
        state_.hub().reset_all(sdk::reset_reason::resync_required);
      }
      continue;
    }
    // The window first: a long poll woken by the seq advancing below then
    // finds its answer in memory.
    state_.recent_changes().append(state_.epoch(), *changes);
    for (const auto& c : *changes) {
      if (c.op == change_op::ban) {
        state_.filter().insert(c.fp);
      } else {
        state_.filter().record_lift();
      }
      state_.filter().advance_seq(c.seq);
    }
    last_digest_ = changes->back().digest;
    publish(after, *changes);
    published_ = changes->back().seq;
  }
  finished_.store(true, std::memory_order_release);
}

}  // namespace banlist::service
