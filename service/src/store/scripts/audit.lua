-- audit: the packed audit entry of layout 7 (docs/redis-layout.md), put in
-- front of every script that appends to the audit stream. Needs record.lua
-- (its type codes) where a ban's detail is written.
--
-- An entry (auto id, whose milliseconds are its time) has one field, `a`:
-- action, actor key id, address, request id and target, each a part as
-- below, then the detail to the end of the value. A part's first byte says
-- what follows: 0-190, that many bytes of text; 191, a 16-bit big-endian
-- length and that text (nothing written is that long today, but a script
-- must not fail after its writes); 192-254, (byte - 192) raw bytes that
-- stand for lowercase hex twice as long (key ids, fingerprints and
-- generated request ids are hex, and half as long so); 255, an IPv4
-- address's 4 bytes (an address in canonical dotted decimal).
-- The detail is text, or, for a ban, a zero byte, the type's code and the
-- seq (48-bit big-endian) that stand for `type={name} seq={seq}`.
-- ~55 bytes for a ban's entry against ~145 for the seven named fields of
-- layouts 1-6, which banlistd still reads (they leave by the stream's cap).
-- record_codec.cpp writes the same form for the entries banlistd appends.

-- The raw bytes `text` stands for when it is 2-124 lowercase hex digits (an
-- even number), else nil. Ids of 16 and 32 digits, the ones every ban's
-- entry has, in one struct.pack (~0.3 us against ~1 us a chunk at a time).
local function audit_hex_bytes(text)
  local n = #text
  if n == 0 or n > 124 or n % 2 == 1 or string.find(text, '[^0-9a-f]') then
    return nil
  end
  local sub = string.sub
  if n == 32 then
    return struct.pack('>I4I4I4I4', tonumber(sub(text, 1, 8), 16), tonumber(sub(text, 9, 16), 16),
      tonumber(sub(text, 17, 24), 16), tonumber(sub(text, 25, 32), 16))
  end
  if n == 16 then
    return struct.pack('>I4I4', tonumber(sub(text, 1, 8), 16), tonumber(sub(text, 9, 16), 16))
  end
  local out = {}
  for i = 1, n, 2 do
    out[#out + 1] = string.char(tonumber(sub(text, i, i + 1), 16))
  end
  return table.concat(out)
end

local function audit_part(text)
  local raw = audit_hex_bytes(text)
  if raw then
    return string.char(192 + #raw) .. raw
  end
  local n = #text
  if n > 190 then
    return struct.pack('>BI2', 191, n) .. text
  end
  return string.char(n) .. text
end

-- The address's part: 5 bytes for an IPv4 address that prints back the
-- same (no leading zeros: the frontier pattern finds a 0 that starts a
-- run of digits), else as any part. ~1 us once per script run.
local function audit_address_part(text)
  local a, b, c, d = string.match(text, '^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$')
  if a and not string.find(text, '%f[%d]0%d') then
    a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
    if a < 256 and b < 256 and c < 256 and d < 256 then
      return string.char(255, a, b, c, d)
    end
  end
  return audit_part(text)
end

-- A fingerprint's part from its 16 raw bytes, which ban.lua and lift.lua
-- already hold.
local function audit_fp_part(fp_raw)
  return string.char(192 + 16) .. fp_raw
end

-- The actor's three parts (key id, address, request id), once per script
-- run: a batch of bans shares them.
local function audit_actor(key_id, addr, req)
  return audit_part(key_id) .. audit_address_part(addr) .. audit_part(req)
end

-- A ban's detail, `type={name} seq={seq}`, coded when the type has a code.
local function audit_ban_detail(id_type, seq_n)
  local code = kTypeCodes[id_type]
  if code then
    return struct.pack('>BBI6', 0, code, seq_n)
  end
  return 'type=' .. id_type .. ' seq=' .. string.format('%.0f', seq_n)
end

-- Appends an entry: `actor` from audit_actor, `target` a part already.
local function audit_append(audit_key, action, actor, target, detail)
  redis.call('XADD', audit_key, 'MAXLEN', '~', '1000000', '*', 'a',
    audit_part(action) .. actor .. target .. detail)
end
