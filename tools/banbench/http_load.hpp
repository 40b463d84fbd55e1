// http_load: drives N keep-alive HTTP/1.1 connections to banlistd, each
// sending its next request as soon as the previous answer arrived (closed
// loop, no pipelining), and measures latency and throughput.
//
// Thread-safety: run_load owns its io_context and threads; a request_maker
// belongs to one connection and is only ever called from that connection's
// coroutine (never concurrently).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "latency_histogram.hpp"

namespace banlist::banbench {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// Makes the requests of one connection.
class request_maker {
 public:
  virtual ~request_maker() = default;
  // Sets method, target and body of the next request (headers common to all
  // requests are already set).
  virtual void next(http_request& req) = 0;
  // Units of work per request ("fingerprints" for batch check).
  virtual std::uint64_t items_per_request() const { return 1; }
};

using maker_factory = std::function<std::unique_ptr<request_maker>(std::size_t connection)>;

struct load_config {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string authorization;  // full header value, e.g. "Bearer blk_..."
  std::size_t connections = 64;
  std::size_t threads = 1;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds duration{10000};
  std::uint64_t count = 0;  // total requests; when non-zero, replaces warmup + duration
};

struct load_result {
  latency_histogram latency;
  std::uint64_t requests = 0;  // answered within the measured window
  std::uint64_t items = 0;
  std::uint64_t transport_errors = 0;
  std::array<std::uint64_t, 6> status_classes{};  // [2] = 2xx, [4] = 4xx, ...
  std::uint64_t first_unexpected_status = 0;
  double seconds = 0;
};

// Runs the load until the count or the duration is reached.
load_result run_load(const load_config& config, const maker_factory& make);

// Prints a human summary and one "RESULT name key=value ..." line for scripts.
void print_result(const std::string& name, const load_config& config, const load_result& r);

}  // namespace banlist::banbench
