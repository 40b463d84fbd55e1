-- expire: lifts one expired ban. This guard is prepended to lift.lua at
-- build time (service/src/store/CMakeLists.txt), so an expiry is exactly a
-- lift (same seq, log entry, sets, digest, audit) once the guard passed.
--
-- KEYS, ARGV: as lift.lua (lift reason 'expired', actor 'system').
-- Returns {-1} when the ban is not due (lifted meanwhile, re-banned without
-- expiry or with a later one): nothing changed but the expiry index, which
-- is corrected. Otherwise lift.lua's reply.
--
-- Every instance sweeps the same index; this check and the lift run in one
-- script, so however many instances race, a ban is lifted at most once.
do
  local due = record_read(KEYS[1], ARGV[1])
  if not due or due[R.status] ~= kBanned or due[R.expires_at] == 0 then
    redis.call('ZREM', KEYS[11], ARGV[1])
    return {-1}
  end
  local clock = redis.call('TIME')
  if due[R.expires_at] > tonumber(clock[1]) then
    redis.call('ZADD', KEYS[11], record_int(due[R.expires_at]), ARGV[1])
    return {-1}
  end
end
-- lift.lua follows.
