// Ban records as Redis holds them (docs/redis-layout.md, layout 4: packed
// MessagePack arrays in the bucket hashes bl:rec:{first four hex digits},
// field = the fingerprint's 16 raw bytes), read by tests straight from Redis
// rather than through the store, so a store bug cannot hide itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace banlist::test {

// EVAL this with 0 keys and ARGV = the records' base name ("bl:rec"), a
// fingerprint (hex) and a value's name (record.lua's R: "status", "seq",
// "lifted_at", ...): returns that value as text (status as "banned" or
// "lifted", numbers in decimal, "" when absent), nil when there is no
// record, an error for an unknown name. Values are as stored: a version 2
// record (layout 7) holds `type` and most reasons as codes and 16-digit key
// ids as 9 bytes (docs/redis-layout.md), which this does not convert. No
// double quotes, dollars or backslashes, so a shell can pass it in "...".
inline constexpr std::string_view kRecordValueScript =
    "local fp = ARGV[2] "
    "local raw = {} "
    "for i = 1, 31, 2 do raw[#raw + 1] = string.char(tonumber(string.sub(fp, i, i + 1), 16)) end "
    "local packed = redis.call('HGET', ARGV[1] .. ':' .. string.sub(fp, 1, 4), "
    "  table.concat(raw)) "
    "if not packed then return false end "
    "local names = {'version', 'type', 'value', 'masked', 'reason', 'note', 'case_id', "
    "  'source', 'public', 'banned_at', 'banned_by', 'seq', 'expires_at', 'report_id', "
    "  'status', 'lifted_at', 'lifted_by', 'lift_reason', 'lift_seq', 'lift_case_id', "
    "  'lift_note'} "
    "local r = cmsgpack.unpack(packed) "
    "for i, name in ipairs(names) do "
    "  if name == ARGV[3] then "
    "    local v = r[i] "
    "    if v == nil then return '' end "
    "    if name == 'status' then return ({[0] = 'banned', [1] = 'lifted'})[v] end "
    "    if type(v) == 'number' then return string.format('%.0f', v) end "
    "    return v "
    "  end "
    "end "
    "return redis.error_reply('no record value ' .. ARGV[3])";

// EVAL with 0 keys and ARGV[1] = the records' base name: how many records
// (banned and lifted) the buckets hold.
inline constexpr std::string_view kRecordCountScript =
    "local n = 0 "
    "local h = '[0-9a-f]' "
    "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. ':' .. h .. h .. h .. h)) do "
    "  n = n + redis.call('HLEN', k) "
    "end "
    "return n";

// The command that reads one value of fp's record (redis_cmd, raw).
inline std::vector<std::string> record_value_command(const std::string& fp_hex,
                                                     const std::string& name) {
  return {"EVAL", std::string(kRecordValueScript), "0", "bl:rec", fp_hex, name};
}

// The same as redis-cli arguments.
inline std::string record_value_cli(const std::string& fp_hex, const std::string& name) {
  return "EVAL \"" + std::string(kRecordValueScript) + "\" 0 bl:rec " + fp_hex + " " + name;
}

}  // namespace banlist::test
