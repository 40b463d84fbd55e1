-- report_reject: closes an open report without a ban.
--
-- KEYS: 1 report:{id}  2 reports_open  3 reports:open  4 reports:rejected
--       5 audit
-- ARGV: 1 id  2 decision reason (text)  3 actor key id  4 actor address
--       5 request id
-- Returns {1, HGETALL} when rejected now, {2, HGETALL} when it was already
-- decided (nothing changes), {0} when there is no such report.

local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {0}
end
if status ~= 'open' then
  return {2, redis.call('HGETALL', KEYS[1])}
end
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local fp = redis.call('HGET', KEYS[1], 'fp')
redis.call('HSET', KEYS[1], 'status', 'rejected', 'decided_at', now, 'decided_by', ARGV[3],
  'decision', ARGV[2])
-- The dedup slot belongs to this report while it is open; free it only if
-- it still points here.
if redis.call('HGET', KEYS[2], fp) == ARGV[1] then
  redis.call('HDEL', KEYS[2], fp)
end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[1])
audit_append(KEYS[5], 'report_reject', audit_actor(ARGV[3], ARGV[4], ARGV[5]),
  audit_part('report:' .. ARGV[1]), 'fp=' .. fp)
return {1, redis.call('HGETALL', KEYS[1])}
