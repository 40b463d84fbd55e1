-- report_accept: accepts an open report by banning its account. Built at
-- build time (service/src/store/CMakeLists.txt) as
--   local function banlist_ban() <ban.lua> end  <this file>
-- so the ban is made by exactly the ban script, in the same atomic run as
-- the report's decision.
--
-- KEYS: ban.lua's keys (KEYS[1] is the base name of the record buckets), then
--       (the last five) report:{id}  reports_open
--       reports:open  reports:accepted  audit
-- ARGV: ban.lua's arguments (a batch of one: the proposed ban), then (the last four)
--       report id  actor key id  actor address  request id
-- The report's own keys and arguments are read from the end, so ban.lua may
-- grow keys or arguments without breaking this script.
-- Returns {1, created (1/0), ban record (packed), report HGETALL} when accepted
-- now (created 0: the account was banned meanwhile, and the report is linked
-- to that existing ban), {2, report HGETALL} when already decided, {0} when
-- there is no such report.

local nk, na = #KEYS, #ARGV
local report_key, open_hash, open_set, accepted_set, audit_key =
  KEYS[nk - 4], KEYS[nk - 3], KEYS[nk - 2], KEYS[nk - 1], KEYS[nk]
local report_id, actor, address, request = ARGV[na - 3], ARGV[na - 2], ARGV[na - 1], ARGV[na]

local status = redis.call('HGET', report_key, 'status')
if not status then
  return {0}
end
if status ~= 'open' then
  return {2, redis.call('HGETALL', report_key)}
end
local fp = redis.call('HGET', report_key, 'fp')
if fp ~= ARGV[6] then
  return redis.error_reply('report_accept: the ban is not for the report\'s fingerprint')
end

-- ban.lua answers {banned_at, r}: r is the new seq when it banned now, the
-- stored record when the account was banned already.
local banned = banlist_ban()
if banned.err then
  return banned
end
local created = 0
local fields, record = record_read(KEYS[1], fp)
if type(banned[2]) == 'number' then
  created = 1
  fields[R.report_id] = report_id
  record = record_write(KEYS[1], fp, fields)
end
local seq = record_int(fields[R.seq])

local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', report_key, 'status', 'accepted', 'decided_at', now, 'decided_by', actor,
  'ban_seq', seq)
if redis.call('HGET', open_hash, fp) == report_id then
  redis.call('HDEL', open_hash, fp)
end
redis.call('ZREM', open_set, report_id)
redis.call('ZADD', accepted_set, report_id, report_id)
local linked = 'new'
if created ~= 1 then
  linked = 'existing'
end
audit_append(audit_key, 'report_accept', audit_actor(actor, address, request),
  audit_part('report:' .. report_id), 'fp=' .. fp .. ' seq=' .. seq .. ' ban=' .. linked)
return {1, created, record, redis.call('HGETALL', report_key)}
