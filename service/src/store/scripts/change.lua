-- change: the packed change-log entry of layout 6 (docs/redis-layout.md),
-- put in front of the scripts that append to the log (ban, lift, and
-- expire and report_accept, which contain them). Needs record.lua.
--
-- An entry `{seq}-1` has one field, `c`, whose value is binary:
--   byte 1        op: 1 ban, 2 lift
--   bytes 2-17    the fingerprint's 16 raw bytes (hex order)
--   bytes 18-33   the digest after this change, likewise
--   bytes 34-39   when, unix ms, 48-bit big-endian
--   byte 40       n, the length of the identifier type's name
--   then n bytes  the type's name, and the rest the reason (may be empty)
-- ~60 bytes against ~125 for the six named text fields of layouts 1-5,
-- which banlistd still reads (they leave the log by retention).
local kChangeBan, kChangeLift = 1, 2

local function log_append(log_key, seq, op, fp_bytes, digest_bytes, at_ms, id_type, reason)
  redis.call('XADD', log_key, seq .. '-1', 'c',
    struct.pack('>B', op) .. fp_bytes .. digest_bytes .. struct.pack('>I6B', at_ms, #id_type) ..
      id_type .. reason)
end
