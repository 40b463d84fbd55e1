#include "key_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace banlist::service {

std::optional<std::chrono::seconds> key_rate_limiter::take(const std::string& key_id,
                                                           key_rate_limit limit,
                                                           clock::time_point now) {
  const double per_second = limit.per_minute / 60.0;
  const double burst = std::max<double>(limit.burst, 1.0);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key_id);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_, [&](const auto& entry) {
        const bucket& b = entry.second;
        const double idle = std::chrono::duration<double>(now - b.updated).count();
        return b.tokens + idle * (b.limit.per_minute / 60.0) >= b.limit.burst;
      });
      if (buckets_.size() >= max_keys_)
        buckets_.clear();
    }
    it = buckets_.emplace(key_id, bucket{burst, now, limit}).first;
  }
  bucket& b = it->second;
  b.limit = limit;  // a key's limit never changes, but keep the bucket honest
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst, b.tokens + elapsed * per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / per_second;
  return std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait))));
}

}  // namespace banlist::service
