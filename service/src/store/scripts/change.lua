-- change: the packed change-log entry of layouts 6-8 (docs/redis-layout.md),
-- put in front of the scripts that append to the log (ban, lift, and
-- expire and report_accept, which contain them). Needs record.lua.
--
-- An entry `{seq}-1` has one field, `c`, whose value is binary:
--   byte 1        op: 1 ban, 2 lift, plus 128 when coded (layout 7), plus
--                 64 when the digest is left out (layout 8)
--   16 bytes      the fingerprint's 16 raw bytes (hex order)
--   16 bytes      the digest after this change, likewise; only every
--                 kDigestEvery-th seq since layout 8
--   6 bytes       when, unix ms, 48-bit big-endian
-- then, coded (every type banlistd knows, record.lua's kTypeCodes):
--   1 byte        the type's wire code
--   1 byte        the ban reason's wire code, or 0 when the reason is text
--   then          the reason's text, when the code is 0 (a lift's reason,
--                 a ban reason outside the vocabulary; may be empty)
-- or, not coded (layout 6, and a type this script does not know; always
-- with the digest):
--   1 byte        n, the length of the identifier type's name
--   then n bytes  the type's name, and the rest the reason (may be empty)
-- The digest after seq n is the one after seq n - 1 XOR the fingerprint of
-- n (a ban adds it, a lift takes it out), so readers compute the others
-- from the nearest earlier entry that has one (record_codec.cpp,
-- resolve_digests); trim_log.lua keeps the oldest entry one of those.
-- A ban's entry is 25 bytes (41 with the digest) against ~57 in layout 6
-- and ~125 for the six named text fields of layouts 1-5; banlistd reads
-- every form (older entries leave the log by retention).
local kChangeBan, kChangeLift = 1, 2
local kChangeCoded, kChangeNoDigest = 128, 64
local kDigestEvery = 16

local function log_append(log_key, seq, op, fp_bytes, digest_bytes, at_ms, id_type, reason)
  local type_code = kTypeCodes[id_type]
  local entry
  if type_code then
    local op_byte, head = kChangeCoded + op, fp_bytes .. digest_bytes
    if tonumber(seq) % kDigestEvery ~= 0 then
      op_byte, head = op_byte + kChangeNoDigest, fp_bytes
    end
    local reason_code = op == kChangeBan and kReasonCodes[reason]
    if reason_code then
      entry = struct.pack('>B', op_byte) .. head ..
        struct.pack('>I6BB', at_ms, type_code, reason_code)
    else
      entry = struct.pack('>B', op_byte) .. head ..
        struct.pack('>I6BB', at_ms, type_code, 0) .. reason
    end
  else
    local head = fp_bytes .. digest_bytes
    entry = struct.pack('>B', op) .. head .. struct.pack('>I6B', at_ms, #id_type) .. id_type .. reason
  end
  redis.call('XADD', log_key, seq .. '-1', 'c', entry)
end
