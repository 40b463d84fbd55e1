-- public_page: one page of the notice board, newest first, read atomically
-- with the public version (so a cached page is tagged with the version it
-- shows). Read-only. O(page size): a ZRANGE of one index plus one HMGET per
-- entry.
--
-- KEYS: 1 index (pubidx:all, :t:{type}, :r:{reason} or :tr:{type}:{reason})
--       2 public_version
-- ARGV: 1 ban record key prefix ("bl:ban:")  2 max score ("+inf" or "(seq")
--       3 count (page size + 1, so the caller knows whether more follow)
-- Returns {version, {fp, seq, type, masked, reason, case_id, source,
-- banned_at}, ...}; entries whose record is no longer public and banned
-- are left out (they cannot be in the index: the scripts keep both in step).

local version = redis.call('GET', KEYS[2]) or '0'
local ids = redis.call('ZRANGE', KEYS[1], ARGV[2], '-inf', 'BYSCORE', 'REV', 'LIMIT', 0,
  tonumber(ARGV[3]), 'WITHSCORES')
local out = {version}
for i = 1, #ids, 2 do
  local fp = ids[i]
  local r = redis.call('HMGET', ARGV[1] .. fp, 'type', 'masked', 'reason', 'case_id', 'source',
    'banned_at', 'status', 'public')
  if r[7] == 'banned' and r[8] == '1' then
    out[#out + 1] = {fp, ids[i + 1], r[1], r[2], r[3], r[4] or '', r[5] or '', r[6]}
  end
end
return out
