#include "hub.hpp"

#include <cstdio>

namespace banlist::service {

std::shared_ptr<const published_batch> make_published_batch(sdk::delta_batch batch) {
  auto message = std::make_shared<const std::string>(sdk::encode_changes_message(batch));
  return std::make_shared<const published_batch>(
      published_batch{std::move(batch), std::move(message)});
}

std::uint64_t hub::add(std::weak_ptr<subscriber> s, std::shared_ptr<const subscriber_stats> stats) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  entries_.emplace(id, entry{std::move(s), std::move(stats)});
  return id;
}

void hub::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

std::vector<std::shared_ptr<subscriber>> hub::live() const {
  std::vector<std::shared_ptr<subscriber>> out;
  std::lock_guard lock(mutex_);
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    if (auto s = e.session.lock())
      out.push_back(std::move(s));
  }
  return out;
}

void hub::publish(std::shared_ptr<const published_batch> batch) {
  set_head(batch->batch.to);
  batches_published_.fetch_add(1, std::memory_order_relaxed);
  // Deliver outside the lock: a session's destructor (the last reference
  // may be ours) calls remove().
  for (auto& s : live())
    s->deliver(batch);
}

void hub::reset_all(sdk::reset_reason reason) {
  for (auto& s : live())
    s->reset(reason);
}

std::size_t hub::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::vector<hub::subscriber_view> hub::list() const {
  const std::uint64_t h = head();
  std::vector<subscriber_view> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, e] : entries_) {
    const subscriber_stats& st = *e.stats;
    subscriber_view v;
    v.id = id;
    v.key_id = st.key_id;
    v.transport = st.transport;
    v.connected_at_ms = st.connected_at_ms;
    v.since = st.since.load(std::memory_order_relaxed);
    v.sent_seq = st.sent_seq.load(std::memory_order_relaxed);
    v.acked = st.acked.load(std::memory_order_relaxed);
    v.acked_seq = st.acked_seq.load(std::memory_order_relaxed);
    v.queued = st.queued.load(std::memory_order_relaxed);
    const std::uint64_t applied = v.acked ? v.acked_seq : v.sent_seq;
    v.lag = h > applied ? h - applied : 0;
    out.push_back(std::move(v));
  }
  return out;
}

void hub::count_reset(sdk::reset_reason reason) noexcept {
  const auto code = static_cast<std::size_t>(reason);
  if (code < resets_.size())
    resets_[code].fetch_add(1, std::memory_order_relaxed);
}

void hub::render_metrics(std::string& out) const {
  char number[64];
  const auto views = list();
  std::map<std::string, std::size_t> by_transport{{"websocket", 0}, {"sse", 0}};
  std::map<std::string, std::uint64_t> lag_by_key;  // worst lag of the key's subscribers
  for (const auto& v : views) {
    ++by_transport[v.transport];
    auto& worst = lag_by_key[v.key_id];
    worst = std::max(worst, v.lag);
  }
  out += "# HELP banlist_subscribers Open subscriptions by transport.\n";
  out += "# TYPE banlist_subscribers gauge\n";
  for (const auto& [transport, n] : by_transport) {
    std::snprintf(number, sizeof number, "%zu\n", n);
    out += "banlist_subscribers{transport=\"" + transport + "\"} " + number;
  }
  out +=
      "# HELP banlist_subscriber_lag Changes between this instance's head and what the "
      "key's slowest subscriber acknowledged (sent, before its first ack).\n";
  out += "# TYPE banlist_subscriber_lag gauge\n";
  for (const auto& [key, lag] : lag_by_key) {
    std::snprintf(number, sizeof number, "%llu\n", static_cast<unsigned long long>(lag));
    out += "banlist_subscriber_lag{key_id=\"" + key + "\"} " + number;
  }
  out += "# HELP banlist_subscriber_resets_total Subscriptions ended with a reset, by reason.\n";
  out += "# TYPE banlist_subscriber_resets_total counter\n";
  for (auto reason : {sdk::reset_reason::slow_consumer, sdk::reset_reason::resync_required,
                      sdk::reset_reason::shutdown}) {
    std::snprintf(number, sizeof number, "%llu\n",
                  static_cast<unsigned long long>(
                      resets_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed)));
    out += "banlist_subscriber_resets_total{reason=\"" + std::string(sdk::to_string(reason)) +
           "\"} " + number;
  }
  out += "# HELP banlist_stream_batches_total Change batches published to subscribers.\n";
  out += "# TYPE banlist_stream_batches_total counter\n";
  std::snprintf(number, sizeof number, "%llu\n",
                static_cast<unsigned long long>(batches_published_.load()));
  out += std::string("banlist_stream_batches_total ") + number;
  out += "# HELP banlist_stream_messages_total Messages written to subscribers.\n";
  out += "# TYPE banlist_stream_messages_total counter\n";
  std::snprintf(number, sizeof number, "%llu\n",
                static_cast<unsigned long long>(messages_sent_.load()));
  out += std::string("banlist_stream_messages_total ") + number;
}

}  // namespace banlist::service
