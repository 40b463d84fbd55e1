// Platform accounts, "platform:handle"; see docs/protocol.md.
#include "rules.hpp"

namespace banlist::sdk::rules {
namespace {

constexpr auto kType = identifier_type::account;
constexpr std::size_t kMaxPlatform = 32;
constexpr std::size_t kMaxHandle = 128;

// Control characters, whitespace and invisible formatting characters: a
// handle containing them is a paste accident or an attempt to make two
// handles look alike.
bool forbidden_in_handle(char32_t cp) noexcept {
  if (cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0))
    return true;  // C0, space, DEL, C1, NBSP
  if (cp == 0x1680 || cp == 0x180e)
    return true;
  if (cp >= 0x2000 && cp <= 0x200f)
    return true;  // spaces, zero-width, direction marks
  if (cp >= 0x2028 && cp <= 0x202f)
    return true;  // separators, embeddings, NNBSP
  if (cp >= 0x205f && cp <= 0x206f)
    return true;  // math space, invisible operators
  if (cp == 0x3000 || cp == 0xfeff)
    return true;  // ideographic space, BOM
  if (cp >= 0xfff9 && cp <= 0xfffb)
    return true;  // interlinear annotation
  return false;
}

}  // namespace

result account(std::string_view value) {
  if (value.empty())
    return reject(kType, "empty", "the value is empty");
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) {
    return reject(kType, "separator", "an account is written platform:handle");
  }
  const std::string_view platform = trim_ascii_space(value.substr(0, colon));
  const std::string_view handle = trim_ascii_space(value.substr(colon + 1));
  if (platform.empty() || platform.size() > kMaxPlatform) {
    return reject(kType, "platform", "the platform name has 1 to 32 characters");
  }
  std::string out = ascii_lower(platform);
  for (char c : out) {
    if (!is_ascii_lower(c) && !is_ascii_digit(c) && c != '.' && c != '_' && c != '-') {
      return reject(kType, "platform",
                    "the platform name allows ASCII letters, digits, '.', '_' and '-'");
    }
  }
  if (!is_ascii_lower(out.front()) && !is_ascii_digit(out.front())) {
    return reject(kType, "platform", "the platform name begins with a letter or digit");
  }
  if (handle.empty())
    return reject(kType, "handle", "the handle after ':' is empty");
  if (handle.size() > kMaxHandle) {
    return reject(kType, "length", "the handle has at most 128 bytes");
  }
  for (std::size_t pos = 0; pos < handle.size();) {
    const char32_t cp = decode_utf8(handle, pos);
    if (cp == kBadUtf8)
      return reject(kType, "utf8", "the handle is not valid UTF-8");
    if (forbidden_in_handle(cp)) {
      return reject(kType, "characters",
                    "the handle must not contain whitespace, control or invisible characters");
    }
  }
  out.push_back(':');
  out.append(handle);
  return out;
}

}  // namespace banlist::sdk::rules
