-- ban: bans one fingerprint, atomically with its seq, log entry, sets,
-- digest and audit entry. Idempotent: banning a banned fingerprint changes
-- nothing and returns the stored record.
--
-- KEYS: 1 ban:{fp}  2 seq  3 log  4 banned  5 public  6 bans  7 digest  8 audit
--       9 public_version  10 pubidx (base name of the notice page indexes)
--       11 lifted (lifted records by lift seq)  12 hist:{fp} (archived episodes)
-- ARGV: 1 fp  2 type  3 value  4 masked  5 reason  6 note  7 case_id  8 source
--       9 public ("1"/"0")  10 expires_at (unix s, "" = none)
--       11 actor key id  12 actor address  13 request id
--       14 wire codes: two bytes, identifier type code then ban reason code
--          (bl:banned maps fp -> these, so snapshots need no record reads)
-- Returns {1, HGETALL} when banned now, {0, HGETALL} when it already was.

if redis.call('HGET', KEYS[1], 'status') == 'banned' then
  return {0, redis.call('HGETALL', KEYS[1])}
end

-- 128-bit XOR of two 32-hex-digit strings, in four 32-bit lanes (bit ops
-- work on signed 32-bit integers; bit.tohex prints the unsigned form).
local function xor_hex(a, b)
  local lanes = {}
  for i = 0, 3 do
    local x = tonumber(string.sub(a, i * 8 + 1, i * 8 + 8), 16)
    local y = tonumber(string.sub(b, i * 8 + 1, i * 8 + 8), 16)
    lanes[i + 1] = bit.tohex(bit.bxor(x, y), 8)
  end
  return table.concat(lanes)
end

local fp = ARGV[1]
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local seq = string.format('%.0f', redis.call('INCR', KEYS[2]))

-- A re-ban after a lift starts a fresh record: the lifted episode goes to
-- the history list first (GET /v1/bans/{fp}/history), as a JSON array of
-- its field/value pairs without what every episode shares (type, value,
-- masked) and status (archived episodes are all lifted). A fingerprint
-- banned once costs nothing here: its history is its record.
local old = redis.call('HGETALL', KEYS[1])
if #old > 0 then
  local kept = {}
  for i = 1, #old, 2 do
    local f = old[i]
    if f ~= 'type' and f ~= 'value' and f ~= 'masked' and f ~= 'status' then
      kept[#kept + 1] = f
      kept[#kept + 1] = old[i + 1]
    end
  end
  redis.call('RPUSH', KEYS[12], cjson.encode(kept))
  redis.call('ZREM', KEYS[11], ARGV[1])
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1],
  'type', ARGV[2], 'value', ARGV[3], 'masked', ARGV[4], 'reason', ARGV[5],
  'note', ARGV[6], 'case_id', ARGV[7], 'source', ARGV[8], 'public', ARGV[9],
  'banned_at', now, 'banned_by', ARGV[11], 'seq', seq, 'status', 'banned')
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[1], 'expires_at', ARGV[10])
end

local digest = redis.call('GET', KEYS[7]) or '00000000000000000000000000000000'
digest = xor_hex(digest, fp)
redis.call('SET', KEYS[7], digest)

redis.call('HSET', KEYS[4], fp, ARGV[14])
if ARGV[9] == '1' then
  redis.call('ZADD', KEYS[5], now, fp)
  -- Notice page indexes, score = seq (unique, so a seq is an exact cursor):
  -- all public bans, by type, by reason, by type and reason.
  redis.call('ZADD', KEYS[10] .. ':all', seq, fp)
  redis.call('ZADD', KEYS[10] .. ':t:' .. ARGV[2], seq, fp)
  redis.call('ZADD', KEYS[10] .. ':r:' .. ARGV[5], seq, fp)
  redis.call('ZADD', KEYS[10] .. ':tr:' .. ARGV[2] .. ':' .. ARGV[5], seq, fp)
  redis.call('INCR', KEYS[9])
end
redis.call('ZADD', KEYS[6], seq, fp)

redis.call('XADD', KEYS[3], seq .. '-1',
  'op', 'ban', 'fp', fp, 'type', ARGV[2], 'reason', ARGV[5], 'at', now, 'digest', digest)
redis.call('XADD', KEYS[8], 'MAXLEN', '~', '1000000', '*',
  'at', now, 'key', ARGV[11], 'addr', ARGV[12], 'req', ARGV[13],
  'action', 'ban', 'target', fp, 'detail', 'type=' .. ARGV[2] .. ' seq=' .. seq)

return {1, redis.call('HGETALL', KEYS[1])}
