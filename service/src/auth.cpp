#include "auth.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace banlist::service {

std::string sha256_hex(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::optional<std::string_view> parse_bearer(std::string_view header) noexcept {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size())
    return std::nullopt;
  // The scheme is case-insensitive (RFC 9110); compare it so.
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(header[i])));
    const char b = static_cast<char>(std::tolower(static_cast<unsigned char>(kScheme[i])));
    if (a != b)
      return std::nullopt;
  }
  std::string_view key = header.substr(kScheme.size());
  if (key.size() < 16 || key.size() > 256)
    return std::nullopt;
  for (char c : key) {
    if (c <= 0x20 || c >= 0x7f)
      return std::nullopt;
  }
  return key;
}

boost::asio::awaitable<std::expected<api_key, auth_failure>> key_cache::authenticate(
    store* keys, std::string_view authorization, std::optional<auth_memo>* memo) {
  using boost::beast::http::status;
  // Read before the lookup: a forget that races with it voids the memo.
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (authorization.empty()) {
    co_return std::unexpected(auth_failure{status::unauthorized, "unauthenticated",
                                           "missing Authorization: Bearer <key>"});
  }
  const auto secret = parse_bearer(authorization);
  if (!secret) {
    co_return std::unexpected(
        auth_failure{status::unauthorized, "unauthenticated",
                     "malformed Authorization header; expected Bearer <key>"});
  }
  const std::string hash = sha256_hex(*secret);
  const auto now = std::chrono::steady_clock::now();
  std::optional<entry> cached;
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(hash); it != entries_.end()) {
      // The map matched on the hash already; compare again in constant time
      // so no code path compares key material with an early exit.
      if (CRYPTO_memcmp(it->first.data(), hash.data(), hash.size()) == 0)
        cached = it->second;
    }
  }
  std::optional<api_key> key;
  std::optional<std::chrono::steady_clock::time_point> fresh_since;  // nullopt: stale grace
  if (cached && now - cached->fetched < ttl_) {
    key = cached->key;
    fresh_since = cached->fetched;
  } else {
    if (keys == nullptr) {
      co_return std::unexpected(auth_failure{status::service_unavailable, "starting",
                                             "the service is starting; retry shortly"});
    }
    auto found = co_await keys->find_key(hash);
    if (!found) {
      // Redis cannot answer: a key we knew recently stays valid for a while,
      // so checks keep answering from memory.
      if (cached && cached->key && now - cached->fetched < kStaleGrace) {
        key = cached->key;
      } else {
        co_return std::unexpected(auth_failure{status::service_unavailable, "store_unavailable",
                                               "cannot verify the API key: Redis is unreachable"});
      }
    } else {
      key = std::move(*found);
      fresh_since = now;
      std::lock_guard lock(mutex_);
      if (entries_.size() >= kMaxEntries) {
        entries_.clear();
        generation_.fetch_add(1, std::memory_order_acq_rel);
      }
      entries_[hash] = entry{key, now};
    }
  }
  if (!key) {
    co_return std::unexpected(
        auth_failure{status::unauthorized, "unauthenticated", "unknown API key"});
  }
  if (key->revoked) {
    co_return std::unexpected(
        auth_failure{status::unauthorized, "unauthenticated", "this API key was revoked"});
  }
  if (memo != nullptr && fresh_since)
    *memo = auth_memo{std::string(authorization), *key, generation, *fresh_since};
  co_return *key;
}

const api_key* key_cache::recall(const std::optional<auth_memo>& memo,
                                 std::string_view authorization,
                                 std::chrono::steady_clock::time_point now) const noexcept {
  if (!memo || memo->authorization.size() != authorization.size())
    return nullptr;
  // Constant time, as the map lookup is: no early exit on key material.
  if (CRYPTO_memcmp(memo->authorization.data(), authorization.data(), authorization.size()) != 0)
    return nullptr;
  if (memo->generation != generation_.load(std::memory_order_acquire))
    return nullptr;
  if (now - memo->fetched >= ttl_)
    return nullptr;
  return &memo->key;
}

void key_cache::forget_id(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  std::erase_if(entries_,
                [&](const auto& item) { return item.second.key && item.second.key->id == key_id; });
}

void key_cache::forget_hash(const std::string& sha_hex) {
  std::lock_guard lock(mutex_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  entries_.erase(sha_hex);
}

}  // namespace banlist::service
