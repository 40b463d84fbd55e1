-- init_list: records the list's fingerprint seed and epoch the first time a
-- banlistd starts on an empty Redis; later starts read what is there. A new
-- list starts at the current layout; an older list has no layout marker
-- until its records are migrated (redis_store::migrate_records).
--
-- KEYS: 1 seed  2 epoch  3 layout
-- ARGV: 1 seed (decimal u64)  2 fresh random epoch (decimal u64, non-zero)
--       3 the current layout (decimal)
-- Returns {seed, epoch, layout} as stored; layout '0' when unmarked.

if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SET', KEYS[3], ARGV[3])
end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]) or '0'}
