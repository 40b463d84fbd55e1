-- migrate_banned: moves fingerprints from layout 1's single bl:banned hash
-- into the bucket hashes ban.lua and lift.lua keep (docs/redis-layout.md),
-- a page at a time, so no run blocks Redis for long. Each run is atomic and
-- the move idempotent; the caller runs it until nothing is left.
--
-- KEYS: 1 banned (layout 1's hash, and the base name of the buckets)
-- ARGV: 1 HSCAN cursor of KEYS[1] ("0" to start)  2 entries per run
-- Returns {next cursor, entries left in KEYS[1]}.

local page = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local items = page[2]
for i = 1, #items, 2 do
  local fp, codes = items[i], items[i + 1]
  local bucket = string.sub(fp, 1, 4)
  redis.call('HSET', KEYS[1] .. ':' .. bucket, fp, codes)
  redis.call('SETBIT', KEYS[1] .. ':nonempty', tonumber(bucket, 16), 1)
  redis.call('HDEL', KEYS[1], fp)
end
return {page[1], redis.call('HLEN', KEYS[1])}
