-- bulletin_withdraw: takes a published bulletin off the public pages, feed
-- and JSON; the record stays (status withdrawn) for the audit trail.
--
-- KEYS: 1 bulletin:{id}  2 bulletins  3 public_version  4 audit
-- ARGV: 1 id  2 actor key id  3 actor address  4 request id
-- Returns {1} or {0} when the id is unknown or already withdrawn.

if redis.call('HGET', KEYS[1], 'status') ~= 'published' then
  return {0}
end
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', KEYS[1], 'status', 'withdrawn', 'updated_at', now, 'withdrawn_by', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
audit_append(KEYS[4], 'bulletin_withdraw', audit_actor(ARGV[2], ARGV[3], ARGV[4]),
  audit_part('bulletin:' .. ARGV[1]), '')
return {1}
