-- key_revoke: marks an API key revoked. Revocation is permanent.
--
-- KEYS: 1 keyid:{id}  2 audit
-- ARGV: 1 id  2 key prefix ("bl:")  3 actor key id  4 actor address  5 request id
-- Returns 1 when revoked now, 0 when it already was, -1 for an unknown id.

local sha = redis.call('GET', KEYS[1])
if not sha then
  return -1
end
-- The record's name derives from the id index, so it cannot be declared in
-- KEYS; fine for a single (non-cluster) Redis, which is what banlist uses.
local key = ARGV[2] .. 'key:' .. sha
if redis.call('HGET', key, 'revoked') == '1' then
  return 0
end

local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', key, 'revoked', '1', 'revoked_at', now)
audit_append(KEYS[2], 'key_revoke', audit_actor(ARGV[3], ARGV[4], ARGV[5]),
  audit_part(ARGV[1]), '')
return 1
