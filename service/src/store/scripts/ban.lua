-- ban: bans one or more fingerprints, each atomically with its seq, log
-- entry, sets, digest and audit. Idempotent per fingerprint: banning a
-- banned fingerprint changes nothing and returns the stored record.
--
-- One script run takes a whole batch (bulk import sends up to 256) because
-- the fixed cost of a script call, the digest read/write and one fsync are
-- then paid once per batch instead of once per ban. A single ban is a batch
-- of one.
--
-- KEYS: 1 rec (base name of the record buckets, record.lua)
--       2 seq  3 log (entries packed, change.lua)
--       4 banned (unused since layout 8: the listing order below is the
--         banned set's one index)
--       5 public (base name: KEYS[5] .. ':count' counts the public bans;
--         KEYS[5] itself was layout 2's public zset)
--       6 bans (base name: the listing order lives in the bucket hashes
--         KEYS[6] .. ':' .. floor(seq / 128), field seq -> fp (16 raw
--         bytes), the two wire codes and the public flag ('1'/'0'), and
--         KEYS[6] .. ':count' counts the banned fingerprints)
--       7 digest  8 audit
--       9 public_version  10 pubidx (layout 4's notice page indexes; unused)
--       11 expiry (sorted set fp by expires_at; issue 7 expiry)
--       12 lifted (lifted records by lift seq)
--       13 hist: (prefix of the archived episodes list of fp: KEYS[13] .. fp)
-- ARGV: 1 actor key id  2 actor address  3 request id
--       4 audit mode: 'each' writes one `ban` audit entry per new ban;
--         'batch' writes one `import_batch` entry naming the seq range
--       5 n, the number of bans
--       then 11 values per ban, from ARGV[6]:
--         fp, type, value, masked, reason, note, case_id, source,
--         public ("1"/"0"), expires_at (unix s, "" = none),
--         wire codes (two bytes, identifier type code then ban reason code:
--         the listing order keeps them with the fp, so the start-up scan
--         and snapshots need no record reads)
-- Returns {banned_at_ms, r1, r2, ...}: ri is the new seq (an integer) when
-- ban i was applied, or the stored record (packed, record.lua) when it
-- already was.
-- The caller has everything else a new record holds. Arguments after the
-- n bans are ignored, so a script that embeds this one (report_accept.lua)
-- can append its own.

local kStride = 11
local kFirst = 6
local n = tonumber(ARGV[5])
if not n or n < 1 or n ~= math.floor(n) or #ARGV < kFirst - 1 + n * kStride then
  return redis.error_reply('ERR ban: ARGV[5] must be the number of bans that follow')
end

-- The digest as four 32-bit lanes, XORed in place with each new ban's
-- words; the log entry takes its bytes, bl:digest its hex at the end.
local digest_hex = redis.call('GET', KEYS[7]) or '00000000000000000000000000000000'
local lanes = {fp_words(digest_hex)}

local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local actor, audit_mode = ARGV[1], ARGV[4]
local audit_who = audit_actor(actor, ARGV[2], ARGV[3])

local result = {now_ms}
local first_seq, last_seq, created = nil, nil, 0
local public_bans = 0
for b = 0, n - 1 do
  local a = kFirst + b * kStride
  local fp, id_type, reason, is_public = ARGV[a], ARGV[a + 1], ARGV[a + 4], ARGV[a + 8]
  -- One read of the record serves both the status test and the archive
  -- below, so a new fingerprint (most of a bulk import) costs no other read.
  local w1, w2, w3, w4 = fp_words(fp)
  local fp_raw = words_bytes(w1, w2, w3, w4)
  local rec_key = KEYS[1] .. ':' .. string.sub(fp, 1, 4)
  local old, old_packed = record_get(rec_key, fp_raw)
  if old and old[R.status] == kBanned then
    result[#result + 1] = old_packed
  else
    local seq_n = redis.call('INCR', KEYS[2])
    local seq = string.format('%.0f', seq_n)
    first_seq = first_seq or seq
    last_seq = seq
    created = created + 1

    -- A re-ban after a lift starts a fresh record: the lifted episode goes
    -- to the history list first (GET /v1/bans/{fp}/history), as a JSON
    -- array of its field/value pairs without what every episode shares
    -- (type, value, masked) and status (archived episodes are all lifted).
    -- A fingerprint banned once costs nothing here: its history is its
    -- record.
    if old then
      redis.call('RPUSH', KEYS[13] .. fp, cjson.encode(record_archive_fields(old)))
      redis.call('ZREM', KEYS[12], fp)
      redis.call('ZREM', KEYS[11], fp)  -- lift.lua removed it already; be sure
    end
    local expires_at = ARGV[a + 9]
    local public_n, masked = 0, ''
    if is_public == '1' then
      public_n, masked = 1, ARGV[a + 3]
    end
    record_put(rec_key, fp_raw, {kRecordVersion, id_type, ARGV[a + 2], masked, reason,
      ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], public_n, now_ms, actor, seq_n,
      tonumber(expires_at) or 0, '', kBanned})

    -- [expiry index, issue 7] A ban with expires_at is in KEYS[11] (score =
    -- expires_at, unix s) until it is lifted; the sweepers read it and
    -- expire.lua re-checks the record before lifting. A new record is never
    -- in it (a lift removes it; the archive step above makes sure).
    if expires_at ~= '' then
      redis.call('ZADD', KEYS[11], expires_at, fp)
    end
    -- [end expiry index]

    lanes[1], lanes[2] = bit.bxor(lanes[1], w1), bit.bxor(lanes[2], w2)
    lanes[3], lanes[4] = bit.bxor(lanes[3], w3), bit.bxor(lanes[4], w4)
    if is_public == '1' then
      public_bans = public_bans + 1
    end
    -- Listing order (GET /v1/bans, export, the notice page, which reads it
    -- newest first, and the start-up scan of the banned set): 128 seqs per
    -- bucket, so the buckets stay small listpack hashes and a page is a
    -- bucket read. The value is the fp, its two wire codes and the public
    -- flag, so neither the notice page nor the scan reads records.
    redis.call('HSET', KEYS[6] .. ':' .. string.format('%.0f', math.floor(seq_n / 128)), seq,
      fp_raw .. ARGV[a + 10] .. is_public)

    log_append(KEYS[3], seq, kChangeBan, fp_raw, words_bytes(lanes[1], lanes[2], lanes[3], lanes[4]),
      now_ms, id_type, reason)
    if audit_mode == 'each' then
      audit_append(KEYS[8], 'ban', audit_who, audit_fp_part(fp_raw),
        audit_ban_detail(id_type, seq_n))
    end
    result[#result + 1] = seq_n
  end
end

if created > 0 then
  redis.call('INCRBY', KEYS[6] .. ':count', created)
  redis.call('SET', KEYS[7], bit.tohex(lanes[1], 8) .. bit.tohex(lanes[2], 8) ..
    bit.tohex(lanes[3], 8) .. bit.tohex(lanes[4], 8))
  if public_bans > 0 then
    redis.call('INCRBY', KEYS[5] .. ':count', public_bans)
    redis.call('INCR', KEYS[9])
  end
  if audit_mode == 'batch' then
    -- One entry for the batch: who, from where, which request, and the
    -- seq range; each record keeps banned_by and its own seq.
    audit_append(KEYS[8], 'import_batch', audit_who, audit_part(first_seq .. '-' .. last_seq),
      'created=' .. created .. ' of ' .. n)
  end
end
return result
