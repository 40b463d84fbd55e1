// The banned set as Redis holds it (docs/redis-layout.md, layout 8: the
// listing order's buckets bl:bans:{seq / 128}, seq -> 16 raw fp bytes, two
// wire codes and the public flag, are its one index), read by tests
// straight from Redis rather than through the store, so a store bug cannot
// hide itself.
#pragma once

#include <string_view>

namespace banlist::test {

// EVAL this with 0 keys and ARGV[1] = the listing order's base name
// ("bl:bans"): returns every banned fingerprint in hex, or an error reply
// when the layout is inconsistent (an entry in the wrong bucket or of
// another form, a fingerprint under two seqs, the count not matching, or
// a bucket of layout 7's bl:banned still present). No double quotes,
// dollars or backslashes, so a shell can pass it in "...".
inline constexpr std::string_view kAllBannedScript =
    "local out, seen = {}, {} "
    "local count_key = ARGV[1] .. ':count' "
    "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. ':*')) do "
    "  if k ~= count_key then "
    "    local n = tonumber(string.sub(k, #ARGV[1] + 2)) "
    "    if not n then return redis.error_reply('unexpected key ' .. k) end "
    "    local items = redis.call('HGETALL', k) "
    "    for i = 1, #items, 2 do "
    "      local seq, value = tonumber(items[i]), items[i + 1] "
    "      if math.floor(seq / 128) ~= n then "
    "        return redis.error_reply('seq ' .. items[i] .. ' is in bucket ' .. n) end "
    "      if #value ~= 19 then "
    "        return redis.error_reply('seq ' .. items[i] .. ' has a value of ' .. #value) end "
    "      local fp = string.format(string.rep('%02x', 16), string.byte(value, 1, 16)) "
    "      if seen[fp] then return redis.error_reply(fp .. ' is listed twice') end "
    "      seen[fp] = true "
    "      out[#out + 1] = fp "
    "    end "
    "  end "
    "end "
    "if #out ~= tonumber(redis.call('GET', count_key) or '0') then "
    "  return redis.error_reply('the count is not the number of bans listed') end "
    "local banned = string.sub(ARGV[1], 1, #ARGV[1] - 4) .. 'banned' "
    "if #redis.call('KEYS', banned .. '*') > 0 then "
    "  return redis.error_reply('a key of layout 7 banned set is still there') end "
    "return out";

}  // namespace banlist::test
