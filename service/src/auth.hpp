// auth: turns an "Authorization: Bearer <key>" header into the caller's API
// key record. Keys are looked up by the SHA-256 of the secret (only the hash
// is stored) and cached briefly so checks do not pay a Redis round trip each.
//
// Thread-safety: key_cache is shared by every session; its map is guarded by
// mutex_, which is never held across a suspension. An auth_memo belongs to
// one connection (one strand) and is never shared.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>

#include "store/records.hpp"
#include "store/store.hpp"

namespace banlist::service {

// Returns the lowercase hex SHA-256 of `secret`.
std::string sha256_hex(std::string_view secret);

// Extracts the key from an Authorization header value. Returns nullopt unless
// it is "Bearer " followed by 16..256 visible ASCII characters.
std::optional<std::string_view> parse_bearer(std::string_view header) noexcept;

struct auth_failure {
  boost::beast::http::status status;  // 401, or 503 when Redis cannot be asked
  std::string code;
  std::string message;
};

// What one connection remembers of its last successful authentication. A
// keep-alive client sends the same header on every request; with the memo
// the next one skips the SHA-256 and the shared map (both on the check path
// of every request otherwise).
struct auth_memo {
  std::string authorization;  // the header value it was made for
  api_key key;                // active when remembered
  std::uint64_t generation = 0;
  std::chrono::steady_clock::time_point fetched;  // when the key was read from Redis
};

class key_cache {
 public:
  explicit key_cache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // Returns the active key for `authorization` (the header's value; empty if
  // absent). Unknown, revoked and malformed keys fail with 401. When Redis
  // cannot be asked, a recently known key is still accepted (so partners keep
  // checking from memory) and an unknown one fails with 503.
  // On success from a fresh lookup, `memo` (if given) remembers the answer.
  boost::asio::awaitable<std::expected<api_key, auth_failure>> authenticate(
      store* keys, std::string_view authorization, std::optional<auth_memo>* memo = nullptr);

  // Returns the memo's key if `authorization` is the header it was made for
  // and the memo is still as good as the cache: younger than the TTL and
  // nothing forgotten here since (a revocation on this instance forgets at
  // once; one on another instance is seen after the TTL, as with the cache).
  const api_key* recall(const std::optional<auth_memo>& memo, std::string_view authorization,
                        std::chrono::steady_clock::time_point now) const noexcept;

  // Forgets the key with id `key_id` at once (it was revoked here).
  void forget_id(const std::string& key_id);
  // Forgets a cached "unknown" answer for this secret hash (key created here).
  void forget_hash(const std::string& sha_hex);

 private:
  struct entry {
    std::optional<api_key> key;  // nullopt: no such key
    std::chrono::steady_clock::time_point fetched;
  };
  static constexpr std::size_t kMaxEntries = 100000;
  // Keys stay usable this long after the last successful lookup while Redis
  // is unreachable.
  static constexpr std::chrono::minutes kStaleGrace{10};

  std::chrono::milliseconds ttl_;
  // Bumped whenever an entry is forgotten or dropped; memos made before are
  // void.
  std::atomic<std::uint64_t> generation_{0};
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;  // guarded by mutex_; by sha256 hex
};

}  // namespace banlist::service
