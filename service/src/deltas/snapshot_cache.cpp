#include "deltas/snapshot_cache.hpp"

#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "banlist/sdk/reason.hpp"
#include "deltas/log_retention.hpp"
#include "deltas/snapshot_checkpoint.hpp"
#include "deltas/snapshot_merge.hpp"
#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kReplayBatch = 10000;
constexpr std::chrono::milliseconds kTick{100};

std::string random_instance_id() {
  std::random_device rd;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 16; ++i)
    id.push_back(kDigits[rd() & 0xf]);
  return id;
}

// Runs the CPU part on the worker thread; the caller resumes on its own
// executor when it is done. The list is streamed from its base, merged with
// input.replay: with `base_path`, an earlier fps file (a published
// snapshot's, kept alive by `base`, or the start-up checkpoint); without,
// the scan's sorted runs. Either way the published bodies are files in
// `dir`.
asio::awaitable<std::expected<stored_snapshot, std::string>> build_on(
    asio::thread_pool& worker, snapshot_directory& dir, merge_input input, std::string base_path,
    std::shared_ptr<const published_snapshot> base, std::shared_ptr<const scan_runs> scan) {
  auto work =
      [&dir, in = std::move(input), path = std::move(base_path), base = std::move(base),
       scan = std::move(scan)]() -> asio::awaitable<std::expected<stored_snapshot, std::string>> {
    if (!path.empty())
      co_return merge_snapshot(dir, path, in);
    co_return merge_scan(dir, *scan, in);
  };
  co_return co_await asio::co_spawn(worker.get_executor(), std::move(work), asio::use_awaitable);
}

// A windowed change in the log's form (what the builder replays).
change change_of(const sdk::delta_change& d) {
  change c;
  c.seq = d.seq;
  c.op = d.op == sdk::change_op::ban ? change_op::ban : change_op::lift;
  c.fp = d.fp;
  c.type = d.type;
  if (d.op == sdk::change_op::ban) {
    if (auto reason = sdk::ban_reason_from_code(d.reason))
      c.reason = std::string(sdk::to_string(*reason));
  }
  c.at_ms = d.at_ms;
  return c;
}

}  // namespace

snapshot_cache::snapshot_cache() : instance_id_(random_instance_id()) {}

snapshot_cache::~snapshot_cache() {
  stop();
}

void snapshot_cache::stop() {
  worker_.stop();
  worker_.join();
}

std::expected<void, std::string> snapshot_cache::open_files(const service_config& config) {
  if (files_.is_open())
    return {};
  return files_.open(config.snapshot_dir);
}

void snapshot_cache::start(service_state& state, asio::any_io_executor executor) {
  if (auto opened = open_files(state.config()); !opened)
    log_line(log_level::warning, "snapshot directory: " + opened.error());
  running_.store(true, std::memory_order_release);
  asio::co_spawn(
      executor, [this, &state] { return run(state); }, asio::detached);
}

asio::awaitable<std::expected<void, std::string>> snapshot_cache::rebuild(service_state& state) {
  using result = std::expected<void, std::string>;
  auto s = state.current_store();
  const auto seed = state.seed();
  if (!s || !seed)
    co_return result(std::unexpect, "the store is not open yet");
  if (auto opened = open_files(state.config()); !opened)
    co_return result(std::unexpect, opened.error());
  const auto started = std::chrono::steady_clock::now();
  merge_input input;
  input.epoch = state.epoch();
  input.seed = *seed;
  input.fp_rate = state.config().filter_fp_rate;
  // Incremental when the last snapshot is of this epoch and the log still
  // holds every change after it: its list plus those changes, no scan of
  // bl:banned. The merge's digest check proves the result, and a failure
  // makes the next build a full scan.
  auto base = current();
  if (!base || base->snapshot.epoch != input.epoch || full_scan_next_.exchange(false))
    base = nullptr;
  std::uint64_t after = 0;
  if (base) {
    auto head = co_await s->log_state();
    if (!head)
      co_return result(std::unexpect, "reading the log head: " + head.error().message);
    if (base->snapshot.seq + 1 < head->oldest || base->snapshot.seq > head->head) {
      base = nullptr;  // trimmed past it, or Redis went back: scan
    } else {
      input.seq = head->head;
      input.digest = head->digest;
      after = base->snapshot.seq;
    }
  }
  std::string base_path = base ? base->snapshot.fps->path() : std::string();
  std::shared_ptr<const scan_runs> scan;  // the base when there is no file
  if (!base) {
    std::optional<offered> handed;
    {
      std::lock_guard lock(offered_mutex_);
      handed.swap(offered_);
    }
    if (handed && handed->epoch == input.epoch && !handed->base_path.empty()) {
      // The checkpoint the follower started from, if the log still holds
      // every change after it (the merge's digest check proves the rest).
      auto head = co_await s->log_state();
      if (!head)
        co_return result(std::unexpect, "reading the log head: " + head.error().message);
      if (handed->base_seq + 1 >= head->oldest && handed->base_seq <= head->head) {
        base_path = handed->base_path;
        input.seq = head->head;
        input.digest = head->digest;
        after = handed->base_seq;
      }
      handed.reset();
    }
    if (base_path.empty()) {
      if (handed && handed->epoch == input.epoch && handed->scan) {
        scan = std::move(handed->scan);
        after = handed->scan_seq;
      } else {
        auto own = std::make_shared<scan_runs>(&files_);
        std::expected<void, std::string> spilled;
        std::function<bool(std::span<const banned_entry>)> keep =
            [&own, &spilled](std::span<const banned_entry> page) {
              spilled = own->add(page);
              return spilled.has_value();
            };
        auto scanned = co_await s->scan_banned(std::move(keep));
        if (!spilled)
          co_return result(std::unexpect, "keeping the scan of bl:banned: " + spilled.error());
        if (!scanned)
          co_return result(std::unexpect, "loading bl:banned: " + scanned.error().message);
        own->seal();
        scan = std::move(own);
        after = *scanned;
      }
      // Read after the scan: every change the scan may have seen is <= head.
      auto head = co_await s->log_state();
      if (!head)
        co_return result(std::unexpect, "reading the log head: " + head.error().message);
      input.seq = head->head;
      input.digest = head->digest;
    }
  }
  while (after < input.seq) {
    // The follower's window usually holds the whole range (an import makes a
    // snapshot every snapshot_max_changes): no XRANGE and no decode then.
    // The builder's digest check against Redis's guards it as it does the log.
    if (auto held = state.recent_changes().read(input.epoch, after, kReplayBatch, 0);
        held && !held->changes.empty()) {
      for (const auto& d : held->changes) {
        if (d.seq > input.seq)
          break;
        after = d.seq;
        input.replay.push_back(change_of(d));
      }
      continue;
    }
    auto changes = co_await s->read_changes(after, kReplayBatch, std::chrono::milliseconds(0));
    if (!changes)
      co_return result(std::unexpect, "reading the log: " + changes.error().message);
    if (changes->empty() || changes->front().seq != after + 1)
      co_return result(std::unexpect, "the log was trimmed during the build");
    for (auto& c : *changes) {
      if (c.seq > input.seq)
        break;
      after = c.seq;
      input.replay.push_back(std::move(c));
    }
  }
  const bool incremental = !base_path.empty();
  auto built = co_await build_on(worker_, files_, std::move(input), std::move(base_path),
                                 std::move(base), std::move(scan));
  if (!built) {
    if (incremental)
      full_scan_next_.store(true);
    co_return result(std::unexpect, built.error());
  }
  auto published = std::make_shared<published_snapshot>();
  published->snapshot = std::move(*built);
  published->built_at = std::chrono::steady_clock::now();
  published->build_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(published->built_at - started);
  published->incremental = incremental;
  const std::uint64_t seq = published->snapshot.seq;
  // Record before serving it, so retention never trims what it needs.
  auto recorded = co_await s->record_snapshot(instance_id_, seq);
  if (!recorded)
    co_return result(std::unexpect, "recording the snapshot seq: " + recorded.error().message);
  std::shared_ptr<const published_snapshot> now_served = published;
  current_.store(std::move(published), std::memory_order_release);
  {
    // An offer that arrived during this build is older than what now serves.
    std::lock_guard lock(offered_mutex_);
    offered_.reset();
  }
  keep_checkpoint(state.config(), std::move(now_served));
  co_return result{};
}

void snapshot_cache::keep_checkpoint(const service_config& config,
                                     std::shared_ptr<const published_snapshot> served) {
  if (config.checkpoint_path.empty())
    return;
  const auto now = std::chrono::steady_clock::now();
  if (checkpointed_ && now - last_checkpoint_ < config.checkpoint_interval)
    return;
  checkpointed_ = true;
  last_checkpoint_ = now;
  // On the worker: syncing ~180 MB at 10M bans is disk time the I/O threads
  // should not wait for. Links queue behind builds there, so they never
  // overlap. `served` keeps the file until it is linked.
  asio::post(worker_, [path = config.checkpoint_path, served = std::move(served)] {
    auto written = link_checkpoint(path, served->snapshot.fps->path());
    if (!written) {
      log_line(log_level::warning, "start-up checkpoint not written: " + written.error());
      return;
    }
    log_line(log_level::info, "start-up checkpoint written: seq " +
                                  std::to_string(served->snapshot.seq) + ", " +
                                  std::to_string(served->snapshot.count) + " bans");
  });
}

void snapshot_cache::offer_scan(std::shared_ptr<const scan_runs> scan, std::uint64_t seq,
                                std::uint64_t epoch) {
  if (current())
    return;
  std::lock_guard lock(offered_mutex_);
  offered_ = offered{std::move(scan), seq, epoch, {}, 0};
}

void snapshot_cache::offer_base(std::string path, std::uint64_t seq, std::uint64_t epoch) {
  if (current())
    return;
  std::lock_guard lock(offered_mutex_);
  offered_ = offered{nullptr, 0, epoch, std::move(path), seq};
}

asio::awaitable<void> snapshot_cache::run(service_state& state) {
  const auto& config = state.config();
  asio::steady_timer tick(co_await asio::this_coro::executor);
  auto last_retention = std::chrono::steady_clock::now() - config.retention_interval;
  auto last_record = std::chrono::steady_clock::now();
  while (!state.shutting_down()) {
    const auto now = std::chrono::steady_clock::now();
    if (state.current_store() && state.filter().loaded()) {
      const auto cur = current();
      const std::uint64_t head = state.filter().seq();
      const bool stale =
          !cur || cur->snapshot.epoch != state.epoch() ||
          (head > cur->snapshot.seq && (head - cur->snapshot.seq >= config.snapshot_max_changes ||
                                        now - cur->built_at >= config.snapshot_max_age));
      if (stale) {
        auto rebuilt = co_await rebuild(state);
        if (!rebuilt && !state.shutting_down())  // the shutdown's close fails it
          log_line(log_level::warning, "snapshot build failed: " + rebuilt.error());
        last_record = std::chrono::steady_clock::now();
      } else if (cur && now - last_record >= config.snapshot_max_age) {
        // Still current: refresh the record so retention keeps honouring it.
        auto s = state.current_store();
        (void)co_await s->record_snapshot(instance_id_, cur->snapshot.seq);
        last_record = now;
      }
      if (now - last_retention >= config.retention_interval) {
        last_retention = now;
        retention_policy policy;
        policy.retain_count = config.log_retain_count;
        policy.retain_age = config.log_retain_age;
        policy.snapshot_freshness = std::max<std::chrono::milliseconds>(
            10 * config.snapshot_max_age, std::chrono::minutes(10));
        auto s = state.current_store();
        auto trimmed = co_await trim_change_log(*s, policy);
        if (!trimmed && !state.shutting_down())
          log_line(log_level::warning, "log retention failed: " + trimmed.error().message);
      }
    }
    tick.expires_after(kTick);
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  running_.store(false, std::memory_order_release);
}

}  // namespace banlist::service
