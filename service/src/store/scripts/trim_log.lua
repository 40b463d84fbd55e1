-- trim_log: drops change-log entries below seq `minid` and records the
-- oldest retained seq, atomically, so a poll that reads bl:log_oldest knows
-- exactly which cursors the log can still serve. Idempotent; never lowers
-- bl:log_oldest, never trims past bl:seq + 1. `minid` is rounded down to a
-- multiple of 16, the seqs whose entries carry the digest (change.lua), so
-- the oldest retained entry always has one to compute the others from.
--
-- KEYS: 1 log  2 log_oldest  3 seq
-- ARGV: 1 minid (the new oldest retained seq)
-- Returns {oldest retained seq, entries removed}.

local head = tonumber(redis.call('GET', KEYS[3]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '1')
local target = math.min(tonumber(ARGV[1]), head + 1)
target = target - target % 16
if target <= current then
  return {current, 0}
end
local removed = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', target) .. '-0')
redis.call('SET', KEYS[2], string.format('%.0f', target))
return {target, removed}
