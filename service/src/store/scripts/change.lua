-- change: the packed change-log entry of layouts 6 and 7 (docs/redis-layout.md),
-- put in front of the scripts that append to the log (ban, lift, and
-- expire and report_accept, which contain them). Needs record.lua.
--
-- An entry `{seq}-1` has one field, `c`, whose value is binary:
--   byte 1        op: 1 ban, 2 lift, plus 128 when coded (layout 7)
--   bytes 2-17    the fingerprint's 16 raw bytes (hex order)
--   bytes 18-33   the digest after this change, likewise
--   bytes 34-39   when, unix ms, 48-bit big-endian
-- then, coded (every type banlistd knows, record.lua's kTypeCodes):
--   byte 40       the type's wire code
--   byte 41       the ban reason's wire code, or 0 when the reason is text
--   then          the reason's text, when byte 41 is 0 (a lift's reason,
--                 a ban reason outside the vocabulary; may be empty)
-- or, not coded (layout 6, and a type this script does not know):
--   byte 40       n, the length of the identifier type's name
--   then n bytes  the type's name, and the rest the reason (may be empty)
-- A ban's entry is 41 bytes against ~57 in layout 6 and ~125 for the six
-- named text fields of layouts 1-5; banlistd reads all three (older
-- entries leave the log by retention).
local kChangeBan, kChangeLift = 1, 2
local kChangeCoded = 128

local function log_append(log_key, seq, op, fp_bytes, digest_bytes, at_ms, id_type, reason)
  local head = fp_bytes .. digest_bytes
  local type_code = kTypeCodes[id_type]
  local entry
  if type_code then
    local reason_code = op == kChangeBan and kReasonCodes[reason]
    if reason_code then
      entry = struct.pack('>B', kChangeCoded + op) .. head ..
        struct.pack('>I6BB', at_ms, type_code, reason_code)
    else
      entry = struct.pack('>B', kChangeCoded + op) .. head ..
        struct.pack('>I6BB', at_ms, type_code, 0) .. reason
    end
  else
    entry = struct.pack('>B', op) .. head .. struct.pack('>I6B', at_ms, #id_type) .. id_type .. reason
  end
  redis.call('XADD', log_key, seq .. '-1', 'c', entry)
end
