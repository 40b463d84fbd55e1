-- lift: lifts the ban on one fingerprint, atomically with its seq, log
-- entry, sets, digest and audit entry.
--
-- KEYS: 1 rec (base name of the record buckets, record.lua)  2 seq  3 log
--       4 banned (unused since layout 8, as in ban.lua)
--       5 public (base name of the public count, as in ban.lua)
--       6 bans (base name of the order buckets and the count, as in ban.lua)
--       7 digest  8 audit
--       9 public_version  10 pubidx (unused since layout 5)
--       11 expiry (sorted set fp by expires_at; issue 7 expiry)
--       12 lifted (sorted set of lifted records, score = lift seq)
--       13 hist:{fp} (unused here; ban.lua archives into it)
-- ARGV: 1 fp  2 lift reason  3 actor key id  4 actor address  5 request id
--       6 case id ("" = none)  7 note ("" = none)
-- Returns {1, seq, lifted_at_ms} or {0} when the fingerprint is not banned.

local fp = ARGV[1]
local w1, w2, w3, w4 = fp_words(fp)
local fp_raw = words_bytes(w1, w2, w3, w4)
local rec_key = KEYS[1] .. ':' .. string.sub(fp, 1, 4)
local record = record_get(rec_key, fp_raw)
if not record or record[R.status] ~= kBanned then
  return {0}
end
local id_type = record[R.type]

local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq_n = redis.call('INCR', KEYS[2])
local seq = string.format('%.0f', seq_n)

record[R.status] = kLifted
record[R.lifted_at] = now_ms
record[R.lifted_by] = ARGV[3]
record[R.lift_reason] = ARGV[2]
record[R.lift_seq] = seq_n
record[R.lift_case_id] = ARGV[6] or ''
record[R.lift_note] = ARGV[7] or ''
record_put(rec_key, fp_raw, record)
-- Lifted records are kept; this index lets GET /v1/bans/export?status=lifted
-- page through them by lift seq (ban.lua removes a re-banned one).
redis.call('ZADD', KEYS[12], seq_n, fp)

local d1, d2, d3, d4 = fp_words(redis.call('GET', KEYS[7]) or '00000000000000000000000000000000')
d1, d2, d3, d4 = bit.bxor(d1, w1), bit.bxor(d2, w2), bit.bxor(d3, w3), bit.bxor(d4, w4)
redis.call('SET', KEYS[7], bit.tohex(d1, 8) .. bit.tohex(d2, 8) .. bit.tohex(d3, 8) .. bit.tohex(d4, 8))

-- Layout 2's public zset, in case a banlistd of that layout wrote to it
-- after this list was migrated (init_list drops it; a no-op after that).
redis.call('ZREM', KEYS[5], fp)
-- A lifted ban leaves the notice page (docs/public.md), which reads the
-- listing order: the HDEL below takes it out.
if record[R.public] == 1 then
  redis.call('DECR', KEYS[5] .. ':count')
  redis.call('INCR', KEYS[9])
end
-- Out of the listing order, and so out of the banned set (since layout 8
-- the order is its one index). The count goes down only with an entry that
-- was there: a ban an older banlistd added to layout 2's zset (removed
-- here too) was never counted.
local ban_seq = record[R.seq]
local order_key = KEYS[6] .. ':' .. record_int(math.floor(ban_seq / 128))
if redis.call('HDEL', order_key, record_int(ban_seq)) == 1 then
  redis.call('DECR', KEYS[6] .. ':count')
end
redis.call('ZREM', KEYS[6], fp)

-- [expiry index, issue 7] A lifted ban no longer expires.
redis.call('ZREM', KEYS[11], fp)
-- [end expiry index]

log_append(KEYS[3], seq, kChangeLift, fp_raw, words_bytes(d1, d2, d3, d4),
  now_ms, id_type, ARGV[2])
audit_append(KEYS[8], 'lift', audit_actor(ARGV[3], ARGV[4], ARGV[5]), audit_fp_part(fp_raw),
  'seq=' .. seq)

return {1, seq_n, now_ms}
