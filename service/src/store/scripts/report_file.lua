-- report_file: files a partner report on one fingerprint, deduplicated:
-- while a report on that fingerprint is open, another filing adds the
-- reporter to it instead of creating a second one.
--
-- KEYS: 1 rec (base name of the record buckets, record.lua)
--       2 reports_open (hash fp -> open report id)
--       3 report_seq  4 report base ("bl:report:", + id)
--       5 evidence base ("bl:report_ev:", + id)  6 reports:open  7 audit
-- ARGV: 1 fp  2 type  3 value  4 masked  5 reason  6 evidence
--       7 actor key id  8 actor address  9 request id
-- Returns {2} when the fingerprint is banned (nothing stored),
-- {0, id, HGETALL} for a new report, {1, id, HGETALL} when it joined the
-- open one ({1, ...} also when this partner had already filed it: nothing
-- changes then).

local banned = record_read(KEYS[1], ARGV[1])
if banned and banned[R.status] == kBanned then
  return {2}
end

local fp = ARGV[1]
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local reporter = 'by:' .. ARGV[7]

local open = redis.call('HGET', KEYS[2], fp)
if open then
  local key = KEYS[4] .. open
  -- HSETNX: a partner counts once however often it files the same report.
  -- by:{key id} holds the reporter's place in the filing order (1, 2, ...).
  if redis.call('HSETNX', key, reporter, 0) == 1 then
    local n = redis.call('HINCRBY', key, 'reporters', 1)
    redis.call('HSET', key, reporter, n)
    audit_append(KEYS[7], 'report_join', audit_actor(ARGV[7], ARGV[8], ARGV[9]),
      audit_part('report:' .. open), 'fp=' .. fp .. ' reporters=' .. n)
  end
  return {1, open, redis.call('HGETALL', key)}
end

local id = string.format('%.0f', redis.call('INCR', KEYS[3]))
local key = KEYS[4] .. id
redis.call('HSET', key, 'fp', fp, 'type', ARGV[2], 'value', ARGV[3], 'masked', ARGV[4],
  'reason', ARGV[5], 'status', 'open', 'created_at', now, 'reporters', 1, reporter, 1)
-- Evidence (up to 4,000 chars) in its own string, so the record stays a
-- small listpack-encoded hash.
redis.call('SET', KEYS[5] .. id, ARGV[6])
redis.call('HSET', KEYS[2], fp, id)
redis.call('ZADD', KEYS[6], id, id)
audit_append(KEYS[7], 'report_create', audit_actor(ARGV[7], ARGV[8], ARGV[9]),
  audit_part('report:' .. id), 'fp=' .. fp .. ' type=' .. ARGV[2] .. ' reason=' .. ARGV[5])
return {0, id, redis.call('HGETALL', key)}
