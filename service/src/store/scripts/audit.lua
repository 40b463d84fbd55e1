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
-- ~70 bytes for a ban's entry against ~115 for the seven named fields of
-- layouts 1-6, which banlistd still reads (they leave by the stream's cap).
-- record_codec.cpp writes the same form for the entries banlistd appends.

local function audit_part(text)
  local n = #text
  if n > 0 and n <= 126 and n % 2 == 0 and not string.find(text, '[^0-9a-f]') then
    local out = {string.char(192 + n / 2)}
    local i = 1
    -- Eight digits at a time through struct.pack (as record.lua's
    -- words_bytes), the tail two at a time.
    while i + 7 <= n do
      out[#out + 1] = struct.pack('>I4', tonumber(string.sub(text, i, i + 7), 16))
      i = i + 8
    end
    while i < n do
      out[#out + 1] = string.char(tonumber(string.sub(text, i, i + 1), 16))
      i = i + 2
    end
    return table.concat(out)
  end
  if n > 190 then
    return struct.pack('>BI2', 191, n) .. text
  end
  return string.char(n) .. text
end

local function audit_append(audit_key, action, actor, addr, req, target, detail)
  redis.call('XADD', audit_key, 'MAXLEN', '~', '1000000', '*', 'a',
    audit_part(action) .. audit_part(actor) .. audit_part(addr) .. audit_part(req) ..
      audit_part(target) .. detail)
end
