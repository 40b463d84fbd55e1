-- audit: the packed audit entry of layout 7 (docs/redis-layout.md), put in
-- front of every script that appends to the audit stream.
--
-- An entry (auto id, whose milliseconds are its time) has one field, `a`:
-- action, actor key id, address, request id and target, each a part as
-- below, then the detail text to the end of the value. A part's first byte
-- says what follows: 0-190, that many bytes of text; 191, a 16-bit
-- big-endian length and that text (nothing written is that long today, but
-- a script must not fail after its writes); 192-255, (byte - 192) raw
-- bytes that stand for lowercase hex twice as long (key ids, fingerprints
-- and generated request ids are hex, and half as long so).
-- ~75 bytes for a ban's entry against ~145 for the seven named fields of
-- layouts 1-6, which banlistd still reads (they leave by the stream's cap).
-- record_codec.cpp writes the same form for the entries banlistd appends.

-- The raw bytes `text` stands for when it is 2-126 lowercase hex digits (an
-- even number), else nil. Ids of 16 and 32 digits, the ones every ban's
-- entry has, in one struct.pack (~0.3 us against ~1 us a chunk at a time).
local function audit_hex_bytes(text)
  local n = #text
  if n == 0 or n > 126 or n % 2 == 1 or string.find(text, '[^0-9a-f]') then
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

-- A fingerprint's part from its 16 raw bytes, which ban.lua and lift.lua
-- already hold.
local function audit_fp_part(fp_raw)
  return string.char(192 + 16) .. fp_raw
end

-- The actor's three parts (key id, address, request id), once per script
-- run: a batch of bans shares them.
local function audit_actor(key_id, addr, req)
  return audit_part(key_id) .. audit_part(addr) .. audit_part(req)
end

-- Appends an entry: `actor` from audit_actor, `target` a part already.
local function audit_append(audit_key, action, actor, target, detail)
  redis.call('XADD', audit_key, 'MAXLEN', '~', '1000000', '*', 'a',
    audit_part(action) .. actor .. target .. detail)
end
