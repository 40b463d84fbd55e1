-- migrate_order_codes: layout 7 -> 8. The listing order becomes the one
-- index of the banned set (layout 8 drops the bl:banned buckets), so every
-- order value must carry what a scan needs: the fingerprint's 16 raw bytes,
-- its type and reason codes and the public flag (19 bytes, as ban.lua
-- writes since layout 6). Older values are rewritten in place: layout 5's
-- hex + codes + flag (35 bytes) directly, and the fingerprint's hex alone
-- (32; layout 2's index as migrate_order.lua moved it, and session 11's
-- ban.lua) from its record. An entry whose record is not banned under that
-- seq cannot be there (lift.lua removes it with the ban); one found anyway
-- lists nothing (readers skip it), so it is dropped rather than read as a
-- ban. Each run is atomic and idempotent; the caller walks every bucket.
--
-- KEYS: 1 rec (base name of the record buckets, record.lua)
--       2 bans (base name of the order buckets, ban.lua)
-- ARGV: 1 first bucket number  2 last bucket number
-- Returns {values rewritten, stale entries dropped}.

local rewritten, dropped = 0, 0
for n = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  local bucket_key = KEYS[2] .. ':' .. string.format('%.0f', n)
  local items = redis.call('HGETALL', bucket_key)
  for i = 1, #items, 2 do
    local seq, value = items[i], items[i + 1]
    if #value == 35 then
      redis.call('HSET', bucket_key, seq,
        words_bytes(fp_words(string.sub(value, 1, 32))) .. string.sub(value, 33))
      rewritten = rewritten + 1
    elseif #value == 32 then
      local rec_key, fp_raw = record_slot(KEYS[1], value)
      local record = record_get(rec_key, fp_raw)
      if record and record[R.status] == kBanned and record[R.seq] == tonumber(seq) then
        local codes = string.char(kTypeCodes[record[R.type]] or 0,
          kReasonCodes[record[R.reason]] or kReasonCodes.other)
        redis.call('HSET', bucket_key, seq, fp_raw .. codes .. tostring(record[R.public]))
        rewritten = rewritten + 1
      else
        redis.call('HDEL', bucket_key, seq)
        dropped = dropped + 1
      end
    end
  end
end
return {rewritten, dropped}
