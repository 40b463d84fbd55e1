// rate_limiter: a token bucket per client address, for the public routes
// (docs/public.md, "Rate limits"). Each address may make `burst` requests at
// once and then `per_minute` requests a minute. IPv6 addresses share a
// bucket per /64 (one host usually owns a whole /64).
//
// Thread-safety: take() may be called from any thread; the buckets are
// guarded by mutex_. Memory is bounded: when the table reaches max_clients,
// buckets that have refilled completely (they carry no information) are
// dropped, and if that frees nothing the table is cleared.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace banlist::service {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // per_minute == 0 disables the limiter (take() always allows).
  rate_limiter(double per_minute, double burst, std::size_t max_clients = 100000);

  // Takes one token for `address`. Returns nullopt when allowed, or how long
  // to wait for the next token (at least one second, for Retry-After).
  std::optional<std::chrono::seconds> take(std::string_view address,
                                           clock::time_point now = clock::now());

  bool enabled() const noexcept { return per_minute_ > 0; }

  // The bucket key of an address: IPv4 as is, IPv6 by its /64 prefix.
  static std::string client_key(std::string_view address);

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
  };

  double per_minute_;
  double burst_;
  std::size_t max_clients_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;  // guarded by mutex_
};

}  // namespace banlist::service
