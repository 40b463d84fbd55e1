#include "public/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/ip/address.hpp>

namespace banlist::service {

rate_limiter::rate_limiter(double per_minute, double burst, std::size_t max_clients)
    : per_minute_(per_minute), burst_(std::max(burst, 1.0)), max_clients_(max_clients) {}

std::string rate_limiter::client_key(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec || !parsed.is_v6())
    return std::string(address);
  const auto v6 = parsed.to_v6();
  if (v6.is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::optional<std::chrono::seconds> rate_limiter::take(std::string_view address,
                                                       clock::time_point now) {
  if (!enabled())
    return std::nullopt;
  const double per_second = per_minute_ / 60.0;
  std::string key = client_key(address);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) {
      std::erase_if(buckets_, [&](const auto& entry) {
        const double idle = std::chrono::duration<double>(now - entry.second.updated).count();
        return entry.second.tokens + idle * per_second >= burst_;
      });
      if (buckets_.size() >= max_clients_)
        buckets_.clear();  // a flood of addresses: forget rather than grow
    }
    it = buckets_.emplace(std::move(key), bucket{burst_, now}).first;
  }
  bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second);
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
