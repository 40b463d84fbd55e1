// service_state: what every session and handler shares — configuration, the
// store, the filter, the key cache, metrics, readiness — for one banlistd.
//
// Thread-safety: config_ and router_ are set before the first connection and
// read-only after; everything else is atomic or internally synchronized.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "auth.hpp"
#include "config.hpp"
#include "deltas/change_window.hpp"
#include "deltas/snapshot_cache.hpp"
#include "filter_state.hpp"
#include "hub.hpp"
#include "key_rate_limiter.hpp"
#include "metrics.hpp"
#include "public/public_site.hpp"
#include "router.hpp"
#include "session_registry.hpp"
#include "store/store.hpp"

namespace banlist::service {

class service_state {
 public:
  explicit service_state(service_config config)
      : config_(std::move(config)),
        keys_(config_.key_cache_ttl),
        recent_changes_(std::min<std::uint64_t>(config_.delta_window, config_.log_retain_count)) {}

  const service_config& config() const noexcept { return config_; }
  router& routes() noexcept { return router_; }
  const router& routes() const noexcept { return router_; }
  filter_state& filter() noexcept { return filter_; }
  key_cache& keys() noexcept { return keys_; }
  // Per-key request limits, for keys issued with one.
  key_rate_limiter& key_limits() noexcept { return key_limits_; }
  class metrics& metrics() noexcept {
    return metrics_;
  }

  // The store, or null until it is opened.
  std::shared_ptr<store> current_store() const noexcept {
    return store_.load(std::memory_order_acquire);
  }
  void set_store(std::shared_ptr<store> s) noexcept {
    store_.store(std::move(s), std::memory_order_release);
  }

  // The fingerprint seed of the list, once init_list answered.
  std::optional<std::uint64_t> seed() const noexcept {
    if (!seed_known_.load(std::memory_order_acquire))
      return std::nullopt;
    return seed_.load(std::memory_order_relaxed);
  }
  void set_seed(std::uint64_t seed) noexcept {
    seed_.store(seed, std::memory_order_relaxed);
    seed_known_.store(true, std::memory_order_release);
  }
  std::uint64_t epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }
  void set_epoch(std::uint64_t epoch) noexcept { epoch_.store(epoch, std::memory_order_release); }

  bool shutting_down() const noexcept { return shutting_down_.load(std::memory_order_acquire); }
  void begin_shutdown() noexcept { shutting_down_.store(true, std::memory_order_release); }

  // Why the service is not ready yet ("connecting to Redis", ...); shown by
  // /readyz. Guarded by status_mutex_.
  std::string startup_status() const {
    std::lock_guard lock(status_mutex_);
    return startup_status_;
  }
  void set_startup_status(std::string status) {
    std::lock_guard lock(status_mutex_);
    startup_status_ = std::move(status);
  }

  // The snapshot GET /v1/snapshot serves, kept fresh in the background.
  snapshot_cache& snapshots() noexcept { return snapshots_; }

  // The newest applied changes in wire form, for GET /v1/deltas.
  change_window& recent_changes() noexcept { return recent_changes_; }

  // Open connections, for the max-connections limit and shutdown.
  session_registry& sessions() noexcept { return sessions_; }

  // Notice pages: rate limiters, page cache, stylesheet (docs/public.md).
  public_site& site() noexcept { return site_; }

  // Live subscribers (WebSocket, SSE) and the fan-out of change batches.
  class hub& hub() noexcept {
    return hub_;
  }
  // This instance's name in GET /v1/subscribers; set before the first connection.
  const std::string& instance_name() const noexcept { return instance_name_; }
  void set_instance_name(std::string name) { instance_name_ = std::move(name); }

 private:
  service_config config_;
  router router_;
  filter_state filter_;
  key_cache keys_;
  key_rate_limiter key_limits_;
  class metrics metrics_;
  std::atomic<std::shared_ptr<store>> store_;
  std::atomic<std::uint64_t> seed_{0};
  std::atomic<bool> seed_known_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<bool> shutting_down_{false};
  session_registry sessions_;
  class hub hub_;
  std::string instance_name_;
  snapshot_cache snapshots_;
  change_window recent_changes_;
  mutable std::mutex status_mutex_;
  std::string startup_status_ = "starting";  // guarded by status_mutex_
  public_site site_{config_};
};

}  // namespace banlist::service
