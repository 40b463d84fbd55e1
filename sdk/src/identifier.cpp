#include "banlist/sdk/identifier.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack for long inputs
#include <xxhash.h>

#include <array>
#include <cstring>
#include <utility>

#include "rules.hpp"

namespace banlist::sdk {
namespace {

constexpr std::array<std::pair<identifier_type, std::string_view>, 8> kTypeNames{{
    {identifier_type::phone, "phone"},
    {identifier_type::email, "email"},
    {identifier_type::id_card, "id_card"},
    {identifier_type::bank_card, "bank_card"},
    {identifier_type::device, "device"},
    {identifier_type::account, "account"},
    {identifier_type::domain, "domain"},
    {identifier_type::app, "app"},
}};

// Large enough for "type:" plus any normalized value (the longest, an
// account, is 32 + 1 + 128 bytes); longer input is hashed in a stream.
constexpr std::size_t kFingerprintBuffer = 320;

}  // namespace

std::string_view to_string(identifier_type type) noexcept {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type)
      return name;
  }
  return "unknown";
}

std::optional<identifier_type> parse_identifier_type(std::string_view name) noexcept {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name)
      return t;
  }
  return std::nullopt;
}

std::expected<std::string, normalize_error> normalize(identifier_type type,
                                                      std::string_view value) {
  const std::size_t cap = rules::input_cap(type);
  if (cap == 0)
    return rules::reject(type, "type", "unknown identifier type");
  if (value.size() > cap) {
    return rules::reject(type, "too_long", "the input exceeds the length limit for this type");
  }
  value = rules::trim_ascii_space(value);
  switch (type) {
    case identifier_type::phone:
      return rules::phone(value);
    case identifier_type::email:
      return rules::email(value);
    case identifier_type::id_card:
      return rules::id_card(value);
    case identifier_type::bank_card:
      return rules::bank_card(value);
    case identifier_type::device:
      return rules::device(value);
    case identifier_type::account:
      return rules::account(value);
    case identifier_type::domain:
      return rules::domain(value);
    case identifier_type::app:
      return rules::app(value);
  }
  return rules::reject(type, "type", "unknown identifier type");
}

fingerprint fingerprint_of(identifier_type type, std::string_view normalized,
                           std::uint64_t seed) noexcept {
  const std::string_view name = to_string(type);
  XXH128_hash_t hash;
  if (name.size() + 1 + normalized.size() <= kFingerprintBuffer) {
    char buffer[kFingerprintBuffer];
    std::memcpy(buffer, name.data(), name.size());
    buffer[name.size()] = ':';
    if (!normalized.empty()) {
      std::memcpy(buffer + name.size() + 1, normalized.data(), normalized.size());
    }
    hash = XXH3_128bits_withSeed(buffer, name.size() + 1 + normalized.size(), seed);
  } else {
    // Same digest as the one-shot call over the concatenation (xxHash's
    // streaming contract), still without touching the heap.
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_128bits_reset_withSeed(&state, seed);
    XXH3_128bits_update(&state, name.data(), name.size());
    XXH3_128bits_update(&state, ":", 1);
    XXH3_128bits_update(&state, normalized.data(), normalized.size());
    hash = XXH3_128bits_digest(&state);
  }
  return fingerprint{hash.high64, hash.low64};
}

}  // namespace banlist::sdk
