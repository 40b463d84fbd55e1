-- public_page: one stretch of the notice board, newest first, read
-- atomically with the public version (so a cached page is tagged with the
-- version it shows). Read-only.
--
-- The board has no index of its own (layout 5): it walks the listing
-- order's seq buckets down from the cursor. Each order value carries the
-- fingerprint's wire codes and public flag, so only the bans shown cost a
-- record read; a value of an older layout (the fingerprint alone) is
-- judged from its record. One run examines at most ARGV[6] seqs, so a
-- sparse filter costs bounded work per run and the caller runs it again
-- from where it stopped.
--
-- KEYS: 1 bans (base name of the order buckets)  2 public_version  3 seq
-- ARGV: 1 base name of the record buckets ("bl:rec", record.lua)
--       2 before: entries with a smaller seq (0 = from the newest)
--       3 count: stop after this many entries
--       4 type filter: '' or the type's name, a space, its one-byte code
--       5 reason filter: '' or the reason's name, a space, its one-byte
--         code (`other`'s for a name outside the vocabulary; every entry
--         shown is checked against its record's names anyway)
--       6 most seqs to examine
-- Returns {version, next, {fp bytes, seq, packed record}, ...}: next = the seq to
-- pass as `before` to go on, 0 when the walk reached the first seq.

local version = redis.call('GET', KEYS[2]) or '0'
local head = tonumber(redis.call('GET', KEYS[3]) or '0')
local before = tonumber(ARGV[2])
if before == 0 or before > head + 1 then
  before = head + 1
end
local want = tonumber(ARGV[3])
local lowest = math.max(1, before - tonumber(ARGV[6]))

-- A filter's name and its code as a number (nil, nil for none).
local function split(filter)
  if filter == '' then
    return nil, nil
  end
  local space = string.find(filter, ' ', 1, true)
  return string.sub(filter, 1, space - 1), string.byte(filter, space + 1)
end
local kPublicFlag = string.byte('1')
local type_name, type_code = split(ARGV[4])
local reason_name, reason_code = split(ARGV[5])

-- The packed record of the ban under this order value and the
-- fingerprint's bytes when it is on the board, else nil. A value with codes
-- (layouts 5 and 6) is judged by them: the codes name the type and reason
-- exactly, but for a reason outside the vocabulary (code `other`), which
-- its record's name decides. An older value (the fp alone) is judged by
-- its record. The record goes back packed: unpacking it here costs ~5 us a
-- row, more than the rest of the page; banlistd decodes it and keeps only
-- the public fields.
local kOtherReason = 255
local function shown(value)
  -- Layout 6: fp bytes, codes, flag (19 bytes); 5: the same with the fp's
  -- hex (35); older: the hex alone (32).
  local n = #value
  local codes_at = (n == 19 and 17) or (n == 35 and 33) or nil
  if codes_at then
    -- string.byte makes no strings: most values stop here.
    local id_type, reason, public = string.byte(value, codes_at, codes_at + 2)
    if public ~= kPublicFlag or (type_code and id_type ~= type_code) or
        (reason_code and reason ~= reason_code) then
      return nil
    end
  end
  local key, field
  if n == 19 then
    field = string.sub(value, 1, 16)
    key = ARGV[1] .. ':' .. string.format('%02x%02x', string.byte(value, 1, 2))
  else
    key, field = record_slot(ARGV[1], string.sub(value, 1, 32))
  end
  if codes_at and reason_code ~= kOtherReason then
    return redis.call('HGET', key, field) or nil, field
  end
  local r, packed = record_get(key, field)
  if r == nil or r[R.status] ~= kBanned or r[R.public] ~= 1 or
      (type_name and r[R.type] ~= type_name) or (reason_name and r[R.reason] ~= reason_name) then
    return nil
  end
  return packed, field
end

local out = {version, 0}
local found = 0
local top = before - 1
while top >= lowest and found < want do
  local bucket = math.floor(top / 128)
  local flat = redis.call('HGETALL', KEYS[1] .. ':' .. record_int(bucket))
  local by_seq = {}
  for i = 1, #flat, 2 do
    by_seq[tonumber(flat[i])] = flat[i + 1]
  end
  local bottom = math.max(lowest, bucket * 128)
  for seq = top, bottom, -1 do
    local value = by_seq[seq]
    local packed, field
    if value then
      packed, field = shown(value)
    end
    if packed then
      out[#out + 1] = {field, record_int(seq), packed}
      found = found + 1
      if found == want then
        out[2] = seq
        return out
      end
    end
  end
  top = bottom - 1
end
if top >= 1 then
  out[2] = top + 1
end
return out
