-- public_page: one page of the notice board, newest first, read atomically
-- with the public version (so a cached page is tagged with the version it
-- shows). Read-only. O(page size): a ZRANGE of one index plus one record read
-- per entry.
--
-- KEYS: 1 index (pubidx:all, :t:{type}, :r:{reason} or :tr:{type}:{reason})
--       2 public_version
-- ARGV: 1 base name of the record buckets ("bl:rec", record.lua)  2 max score ("+inf" or "(seq")
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
  local r = record_read(ARGV[1], fp)
  if r and r[R.status] == kBanned and r[R.public] == 1 then
    out[#out + 1] = {fp, ids[i + 1], r[R.type], r[R.masked], r[R.reason], r[R.case_id],
      r[R.source], record_int(r[R.banned_at])}
  end
end
return out
