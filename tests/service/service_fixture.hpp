// Test support: a real redis-server plus an in-process banlistd on port 0,
// with an admin key registered through BANLIST_ADMIN_KEY, and helpers to
// issue keys and compute fingerprints the way the server does.
// Not thread-safe: one per test.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http_client.hpp"
#include "redis_server.hpp"
#include "server.hpp"

namespace banlist::test {

inline constexpr std::uint64_t kTestSeed = 0x5eed;
inline const std::string kAdminKey = "admin-key-0123456789abcdef";

class service_fixture {
 public:
  // `tweak` adjusts the configuration before the server starts.
  explicit service_fixture(std::function<void(service::service_config&)> tweak = {},
                           bool wait_until_ready = true);
  ~service_fixture();

  // Starts (again) on the same Redis; used after stop_server() for restarts.
  void start_server(bool wait_until_ready = true);
  void stop_server();

  service::server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }
  redis_server& redis() { return redis_; }
  service::service_config& config() { return config_; }

  http_client client(bool tls = false) { return http_client(port(), tls); }
  // Scans of the banned set the running banlistd's store has begun (it
  // must be connected: a test asks after start_server() waited for ready).
  std::uint64_t banned_scans();
  // Issues a key with `role` through the API; returns the secret.
  std::string issue_key(const std::string& role, std::string* id = nullptr);

 private:
  redis_server redis_;
  service::service_config config_;
  std::unique_ptr<service::server> server_;
};

// Fingerprint hex of (type, value) with the test seed, as the server makes it.
std::string fp_of(sdk::identifier_type type, const std::string& value);

// Returns a string field of a JSON reply ("" if absent).
std::string json_string(const http_reply& reply, const char* pointer);
// The boolean at `pointer`, or `fallback` when there is none.
bool json_bool(const http_reply& reply, const char* pointer, bool fallback = false);

}  // namespace banlist::test
