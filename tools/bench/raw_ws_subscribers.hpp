// raw_ws_subscribers: the propagation bench's cheap WebSocket subscribers —
// N plain sockets, one epoll loop, no Asio or Beast. Each connection does the
// real RFC 6455 handshake (checks 101 and Sec-WebSocket-Accept), then parses
// every server frame (unmasked; text, continuation, ping -> masked pong,
// close), reads every change's seq in each {"type":"changes"} message and
// checks continuity: a seq skipped or repeated is counted in missing().
// Exists so that the bench's own clients cost as little CPU as an honest
// client can on the cores the server shares with them.
//
// Thread-safety: connect() and the accessors from one thread; run() on one
// (other) thread until stop() (any thread) is called. The accessors may be
// read once run() has returned.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace banlist::bench {

class raw_ws_subscribers {
 public:
  using clock_type = std::chrono::steady_clock;

  // `first_seq`..`first_seq + tracked - 1` are the seqs whose arrival time is
  // recorded per subscriber.
  raw_ws_subscribers(std::uint64_t first_seq, std::size_t tracked);
  ~raw_ws_subscribers();
  raw_ws_subscribers(const raw_ws_subscribers&) = delete;
  raw_ws_subscribers& operator=(const raw_ws_subscribers&) = delete;

  // Opens `count` subscriptions GET /v1/stream?since=`since` on 127.0.0.1:port.
  // Returns an empty string, or what went wrong.
  std::string connect(std::uint16_t port, std::size_t count, std::uint64_t since,
                      const std::string& api_key);
  // Reads until stop(); then closes the sockets.
  void run();
  void stop() noexcept { stopping_.store(true, std::memory_order_release); }

  // Arrival of seq first_seq + k at subscriber i, or a default time_point.
  clock_type::time_point arrival(std::size_t i, std::size_t k) const { return conns_[i].at[k]; }
  // Seqs skipped or repeated by any subscriber, plus those up to `last_seq`
  // that never arrived.
  std::uint64_t missing(std::uint64_t last_seq) const;
  // Frames or messages that broke the protocol (masked server frame, bad
  // JSON shape, reset, unexpected close).
  std::uint64_t protocol_errors() const noexcept { return protocol_errors_; }

 private:
  struct connection {
    int fd = -1;
    std::string in;          // bytes received, not yet parsed
    std::string message;     // text of a fragmented message so far
    std::uint64_t next = 0;  // next seq expected
    std::uint64_t skipped = 0;
    std::uint64_t repeated = 0;
    bool closed = false;
    std::vector<clock_type::time_point> at;
  };

  void on_readable(connection& c);
  // Parses complete frames from c.in. Returns false when the connection ends.
  bool parse_frames(connection& c, clock_type::time_point now);
  void on_message(connection& c, std::string_view text, clock_type::time_point now);
  void send_pong(connection& c, std::string_view payload);

  std::uint64_t first_seq_;
  std::size_t tracked_;
  int epoll_fd_ = -1;
  std::vector<connection> conns_;
  std::uint64_t protocol_errors_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace banlist::bench
