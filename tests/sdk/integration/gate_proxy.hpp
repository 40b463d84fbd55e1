// Test support: a small HTTP proxy between the SDK client and an in-process
// banlistd, standing for what sits between partners and the service in real
// deployments (a load balancer, a corporate proxy). It forwards each
// connection's bytes both ways, after looking at the first request head:
//   - every request is logged (time, method, target, whether it asked to
//     upgrade), so tests can see what the client asked and when;
//   - strip_upgrade: the Upgrade/Connection headers are removed, as a proxy
//     that does not speak WebSocket does, so banlistd answers the plain
//     GET /v1/stream with 426 and the client has to long-poll;
//   - cut_upgraded: a WebSocket upgrade is forwarded, the server's
//     101 Switching Protocols reaches the client, and then the proxy closes
//     both sides before any frame passes (an idle-timeout middlebox or a
//     flaky path: the socket can be had but not held);
//   - a policy may answer a request itself (e.g. 503 with Retry-After, or a
//     tampered delta batch) instead of forwarding it.
// The client opens one connection per request, so one head per connection
// is all the proxy needs to read.
//
// Thread-safety: policy/log accessors may be called from any thread; the
// proxy runs its own threads (one per connection direction).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace banlist::test {

struct proxied_request {
  std::chrono::steady_clock::time_point at;
  std::string method;
  std::string target;
  bool upgrade = false;  // the client asked for a WebSocket
  bool answered_by_policy = false;
};

class gate_proxy {
 public:
  // Returns raw response bytes to answer with, or nullopt to forward.
  using policy = std::function<std::optional<std::string>(const proxied_request&)>;

  explicit gate_proxy(std::uint16_t upstream_port);
  ~gate_proxy();
  gate_proxy(const gate_proxy&) = delete;
  gate_proxy& operator=(const gate_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  void set_upstream_port(std::uint16_t port);
  void set_strip_upgrade(bool strip);
  void set_cut_upgraded(bool cut);
  // Upgraded connections closed by cut_upgraded so far.
  std::uint64_t cut_count() const;
  void set_policy(policy p);

  std::vector<proxied_request> log() const;
  // Requests whose target starts with `prefix`.
  std::vector<proxied_request> log_of(const std::string& prefix) const;

  struct state;  // shared with the connection threads

 private:
  std::shared_ptr<state> state_;
  std::uint16_t port_ = 0;
  std::thread acceptor_thread_;
};

// A complete HTTP/1.1 response with a body; `extra` are header lines
// ("Name: value\r\n" each).
std::string http_response_bytes(unsigned status, const std::string& reason,
                                const std::string& content_type, const std::string& body,
                                const std::string& extra = "");

}  // namespace banlist::test
