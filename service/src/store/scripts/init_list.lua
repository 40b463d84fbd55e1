-- init_list: records the list's fingerprint seed and epoch the first time a
-- banlistd starts on an empty Redis; later starts read what is there.
--
-- KEYS: 1 seed  2 epoch
-- ARGV: 1 seed (decimal u64)  2 fresh random epoch (decimal u64, non-zero)
-- Returns {seed, epoch} as stored.

redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
