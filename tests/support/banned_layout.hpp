// The banned set as Redis holds it (docs/redis-layout.md: 65,536 bucket
// hashes named by the fingerprint's first four hex digits, and a bitmap of
// the non-empty ones), read by tests straight from Redis rather than
// through the store, so a store bug cannot hide itself.
#pragma once

#include <string_view>

namespace banlist::test {

// EVAL this with 0 keys and ARGV[1] = the banned set's base name
// ("bl:banned"): returns every banned fingerprint in hex (the buckets name
// them by their 16 raw bytes, or by hex as layouts 5 and older did), or an
// error reply when the layout is inconsistent (a fingerprint in the wrong
// bucket, the bitmap not matching the buckets, layout 1's single hash still
// present). No double quotes, dollars or backslashes, so a shell can pass
// it in "...".
inline constexpr std::string_view kAllBannedScript =
    "local out = {} "
    "local h = '[0-9a-f]' "
    "local buckets = redis.call('KEYS', ARGV[1] .. ':' .. h .. h .. h .. h) "
    "for _, k in ipairs(buckets) do "
    "  local b = string.sub(k, -4) "
    "  if redis.call('GETBIT', ARGV[1] .. ':nonempty', tonumber(b, 16)) ~= 1 then "
    "    return redis.error_reply('bucket ' .. b .. ' is not marked non-empty') end "
    "  for _, field in ipairs(redis.call('HKEYS', k)) do "
    "    local fp = field "
    "    if #field == 16 then "
    "      fp = string.format(string.rep('%02x', 16), string.byte(field, 1, 16)) end "
    "    if string.sub(fp, 1, 4) ~= b then "
    "      return redis.error_reply(fp .. ' is in bucket ' .. b) end "
    "    out[#out + 1] = fp "
    "  end "
    "end "
    "if redis.call('BITCOUNT', ARGV[1] .. ':nonempty') ~= #buckets then "
    "  return redis.error_reply('the non-empty bitmap marks an empty bucket') end "
    "if redis.call('EXISTS', ARGV[1]) == 1 then "
    "  return redis.error_reply('the layout 1 hash is still there') end "
    "return out";

}  // namespace banlist::test
