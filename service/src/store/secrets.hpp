// API key secrets and the hashes the store keys them by, plus the random
// numbers the store needs (epochs, key ids). OpenSSL's CSPRNG and digests.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace banlist::service {

// Returns a fresh API key secret: "blk_" + 64 lowercase hex digits
// (32 bytes from the CSPRNG).
std::string new_key_secret();

// Returns the lowercase hex SHA-256 of `secret`: the name under which the
// store keeps a key (bl:key:{hash}). Use it to look up a presented bearer key.
std::string key_secret_hash(std::string_view secret);

// Returns `bytes` random bytes from the CSPRNG as lowercase hex.
std::string random_hex(std::size_t bytes);

// Returns a random non-zero 64-bit number from the CSPRNG.
std::uint64_t random_nonzero_u64();

// Returns the lowercase hex SHA-1 of `text` (Redis names scripts by it).
std::string sha1_hex(std::string_view text);

}  // namespace banlist::service
