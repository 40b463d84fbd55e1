-- migrate_public: layout 4 -> 5. The notice board's sorted-set indexes
-- (bl:pubidx:all, :t:{type}, :r:{reason}, :tr:{type}:{reason}) are gone
-- in layout 5: the board walks the listing order, and the public count is
-- a counter. This run sets the counter from the `all` index and drops that
-- index, atomically, so a ban or lift after it counts from the right
-- number; the caller then UNLINKs the per-type and per-reason indexes
-- (which nothing reads any more) and sets the layout marker. A second run
-- finds no index and changes nothing.
--
-- KEYS: 1 pubidx:all  2 the public count
-- Returns the public count it set, or -1 when there was no index.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local n = redis.call('ZCARD', KEYS[1])
redis.call('SET', KEYS[2], n)
redis.call('UNLINK', KEYS[1])
return n
