#include "metrics.hpp"

#include <cstdio>

namespace banlist::service {

void metrics::record(const std::string& method, const std::string& route, unsigned status,
                     std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  histogram& h = latency_[{method, route}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i])
      ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void metrics::record_store_error(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++store_errors_[kind];
}

void metrics::add_source(std::function<void(std::string&)> source) {
  std::lock_guard lock(mutex_);
  sources_.push_back(std::move(source));
}

void metrics::render(std::string& out) const {
  char number[64];
  std::lock_guard lock(mutex_);
  out += "# HELP banlist_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE banlist_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    std::snprintf(number, sizeof number, "%u\"} %llu\n", status,
                  static_cast<unsigned long long>(count));
    out += "banlist_http_requests_total{method=\"" + method + "\",route=\"" + route +
           "\",status=\"" + number;
  }
  out +=
      "# HELP banlist_http_request_duration_seconds Time from a whole request to its response.\n";
  out += "# TYPE banlist_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(number, sizeof number, "%g\"} %llu\n", kBuckets[i],
                    static_cast<unsigned long long>(h.buckets[i]));
      out += "banlist_http_request_duration_seconds_bucket{" + labels + ",le=\"" + number;
    }
    std::snprintf(number, sizeof number, "%llu\n", static_cast<unsigned long long>(h.count));
    out += "banlist_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + number;
    std::snprintf(number, sizeof number, "%.9f\n", h.sum);
    out += "banlist_http_request_duration_seconds_sum{" + labels + "} " + number;
    std::snprintf(number, sizeof number, "%llu\n", static_cast<unsigned long long>(h.count));
    out += "banlist_http_request_duration_seconds_count{" + labels + "} " + number;
  }
  out += "# HELP banlist_store_errors_total Failed Redis operations by kind.\n";
  out += "# TYPE banlist_store_errors_total counter\n";
  for (const auto& [kind, count] : store_errors_) {
    std::snprintf(number, sizeof number, "%llu\n", static_cast<unsigned long long>(count));
    out += "banlist_store_errors_total{kind=\"" + kind + "\"} " + number;
  }
  for (const auto& source : sources_)
    source(out);
}

}  // namespace banlist::service
