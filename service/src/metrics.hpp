// metrics: request counters and latency histograms by route and status, in
// Prometheus text format. record() is called from every I/O thread; it takes
// one short mutex (guarded by mutex_), which measured requests do not notice.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace banlist::service {

class metrics {
 public:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 12> kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.5,    2.5};

  // Records one finished request. `route` is the pattern ("/v1/bans/{fp}"),
  // never the raw path, so label values stay few.
  void record(const std::string& method, const std::string& route, unsigned status,
              std::chrono::nanoseconds latency);

  // Store failures, by kind ("unavailable", "outcome_unknown", ...).
  void record_store_error(const std::string& kind);

  // Appends the request and store families to `out`, then each added source's.
  void render(std::string& out) const;

  // Adds a source of more families (e.g. the subscriber hub's); called
  // under mutex_, so it must not call back into this object.
  void add_source(std::function<void(std::string&)> source);

 private:
  struct histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t>
      requests_;                                                      // guarded by mutex_
  std::map<std::pair<std::string, std::string>, histogram> latency_;  // guarded by mutex_
  std::map<std::string, std::uint64_t> store_errors_;                 // guarded by mutex_
  std::vector<std::function<void(std::string&)>> sources_;            // guarded by mutex_
};

}  // namespace banlist::service
