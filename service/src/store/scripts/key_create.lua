-- key_create: stores an API key record under the SHA-256 of its secret.
-- Idempotent per secret (used for BANLIST_ADMIN_KEY at every start).
--
-- KEYS: 1 key:{sha256}  2 keyid:{id}  3 keys  4 audit
-- ARGV: 1 id  2 role  3 name  4 sha256  5 actor key id  6 actor address
--       7 request id  8 action ("key_create" or "key_register")
--       9 requests per minute  10 burst (both empty: the key is not limited)
-- Returns {1, HGETALL} when stored now, {0, HGETALL} when the secret was
-- already known, {-1} when the id is taken (the caller picks another).

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1])}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {-1}
end

local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))

redis.call('HSET', KEYS[1], 'id', ARGV[1], 'role', ARGV[2], 'name', ARGV[3],
  'created', now, 'revoked', '0')
local detail = 'role=' .. ARGV[2]
if ARGV[9] ~= nil and ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'rate_per_minute', ARGV[9], 'rate_burst', ARGV[10])
  detail = detail .. ' rate=' .. ARGV[9] .. '/min burst=' .. ARGV[10]
end
redis.call('SET', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[1])
audit_append(KEYS[4], ARGV[8], audit_actor(ARGV[5], ARGV[6], ARGV[7]), audit_part(ARGV[1]),
  detail)

return {1, redis.call('HGETALL', KEYS[1])}
