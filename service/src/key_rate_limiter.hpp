// key_rate_limiter: the per-key request limits set on an API key when it is
// issued (docs/decisions.md, "Per-key rate limits"). One token bucket per key
// id in each instance: a key may make `burst` requests at once and then
// `per_minute` a minute. Keys issued without a limit never reach it. Unlike
// public/rate_limiter (one rate for every client address), each bucket here
// has the rate of its own key.
//
// Thread-safety: take() may be called from any thread; the buckets are
// guarded by mutex_. Memory is bounded: when the table reaches max_keys,
// buckets that have refilled completely are dropped, and if that frees
// nothing the table is cleared.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/records.hpp"

namespace banlist::service {

class key_rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  explicit key_rate_limiter(std::size_t max_keys = 100000) : max_keys_(max_keys) {}

  // Takes one token from the bucket of `key_id`, whose limit is `limit`.
  // Returns nullopt when allowed, or how long until the next token (whole
  // seconds, at least 1, for Retry-After).
  std::optional<std::chrono::seconds> take(const std::string& key_id, key_rate_limit limit,
                                           clock::time_point now = clock::now());

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
    key_rate_limit limit;
  };

  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;  // guarded by mutex_
};

}  // namespace banlist::service
