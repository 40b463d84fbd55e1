-- migrate_order: moves layout 2's listing index (the bl:bans sorted set,
-- fp by ban seq) into the order buckets ban.lua and lift.lua keep since
-- layout 3 (docs/redis-layout.md), a page at a time, counting what it moves
-- into the banned count; and drops layout 2's bl:public sorted set, which
-- only ever served a count (bl:pubidx:all holds the same members). Each
-- run is atomic; the caller runs it until nothing is left.
--
-- KEYS: 1 bans (layout 2's sorted set; the base name of the buckets)
--       2 public (layout 2's sorted set)
-- ARGV: 1 entries per run
-- Returns the entries left in KEYS[1].

local moved = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #moved, 2 do
  local seq_n = tonumber(moved[i + 1])
  redis.call('HSET', KEYS[1] .. ':' .. string.format('%.0f', math.floor(seq_n / 128)),
    string.format('%.0f', seq_n), moved[i])
end
if #moved > 0 then
  redis.call('INCRBY', KEYS[1] .. ':count', #moved / 2)
end
-- UNLINK frees a large set in the background instead of inside this run.
redis.call('UNLINK', KEYS[2])
return redis.call('ZCARD', KEYS[1])
