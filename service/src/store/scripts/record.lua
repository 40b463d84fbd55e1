-- record: the packed ban record of layout 4 (docs/redis-layout.md), put in
-- front of every script that reads or writes one.
--
-- A record lives in the bucket hash `{base}:{first four hex digits of fp}`
-- under the fingerprint's 16 raw bytes, as one MessagePack array of its
-- values in fixed places (R below): no field names, the record one
-- listpack entry among ~150 in its bucket instead of a key of its own.
-- A banned record has the first 15 values; a lift appends the rest.
-- Numbers are integers (0 = absent), strings '' when absent. `masked` is
-- kept only for a public ban: the public pages read it without the value;
-- every other reader masks the value it already holds.
--
-- Version 2 (layout 7) stores three values smaller: the type as its wire
-- code, a reason of the vocabulary as its code (any other reason stays
-- text), and a key id of 16 hex digits (banned_by, lifted_by) as a zero
-- byte and its 8 raw bytes. Version 3 (layout 8) also stores a value of
-- digits (a phone's +8613812345678, a bank card's, ...) two digits a byte.
-- record_get hands every script version 1's values (names, hex, text),
-- and record_put stores version 3, so the scripts never see codes;
-- banlistd (record_codec.cpp) reads every version.

local R = {
  version = 1, type = 2, value = 3, masked = 4, reason = 5, note = 6, case_id = 7,
  source = 8, public = 9, banned_at = 10, banned_by = 11, seq = 12, expires_at = 13,
  report_id = 14, status = 15,
  lifted_at = 16, lifted_by = 17, lift_reason = 18, lift_seq = 19, lift_case_id = 20,
  lift_note = 21,
}
local kRecordVersion, kRecordVersionCoded, kRecordVersionDigits = 1, 2, 3
local kBanned, kLifted = 0, 1

-- The wire codes of sdk/identifier.hpp and sdk/reason.hpp, both ways (a
-- store test round-trips every one through banlistd's own tables): type
-- codes 1-8, reason codes 1-14 and 255 for `other`. Written out, not built
-- by a loop: these run at every script run, and the loops cost ~1.4 us.
local kTypeNames = {'phone', 'email', 'id_card', 'bank_card', 'device', 'account', 'domain', 'app'}
local kTypeCodes = {phone = 1, email = 2, id_card = 3, bank_card = 4, device = 5, account = 6,
  domain = 7, app = 8}
local kReasonNames = {'telecom_fraud', 'phishing', 'fake_shop', 'loan_fraud', 'investment_fraud',
  'impersonation', 'romance_scam', 'task_scam', 'dispute_fraud', 'money_mule', 'account_trading',
  'gambling', 'malware', 'spam', [255] = 'other'}
local kReasonCodes = {telecom_fraud = 1, phishing = 2, fake_shop = 3, loan_fraud = 4,
  investment_fraud = 5, impersonation = 6, romance_scam = 7, task_scam = 8, dispute_fraud = 9,
  money_mule = 10, account_trading = 11, gambling = 12, malware = 13, spam = 14, other = 255}

-- A fingerprint's 32 hex digits as four 32-bit words, high first: the
-- digest lanes XOR them, and packed they are the fingerprint's 16 raw bytes.
local function fp_words(fp)
  return tonumber(string.sub(fp, 1, 8), 16), tonumber(string.sub(fp, 9, 16), 16),
    tonumber(string.sub(fp, 17, 24), 16), tonumber(string.sub(fp, 25, 32), 16)
end

-- The 16 raw bytes of four words (of fp_words, or digest lanes). Through
-- struct.pack: ~0.5 us, against ~3.4 us for sixteen string.char calls.
-- Negative words (bit.bxor's results) pack as their two's complement.
local function words_bytes(w1, w2, w3, w4)
  return struct.pack('>I4I4I4I4', w1, w2, w3, w4)
end

-- The bucket key and field of fp's record.
local function record_slot(base, fp)
  return base .. ':' .. string.sub(fp, 1, 4), words_bytes(fp_words(fp))
end

-- A key id as version 2 stores it: 16 hex digits as a zero byte and their
-- 8 bytes (10 bytes packed against 17), anything else as it is.
-- The last one converted is kept: a batch of bans has one actor (Lua
-- strings are interned, so the comparison is a pointer's).
local record_last_key_id, record_last_key_id_stored
local function record_key_id_stored(text)
  if text == record_last_key_id then
    return record_last_key_id_stored
  end
  local stored = text
  if #text == 16 and not string.find(text, '[^0-9a-f]') then
    stored = '\0' .. struct.pack('>I4I4', tonumber(string.sub(text, 1, 8), 16),
      tonumber(string.sub(text, 9, 16), 16))
  end
  record_last_key_id, record_last_key_id_stored = text, stored
  return stored
end

local function record_key_id_text(stored)
  if #stored == 9 and string.byte(stored, 1) == 0 then
    local high, low = struct.unpack('>I4I4', stored, 2)
    return bit.tohex(high, 8) .. bit.tohex(low, 8)
  end
  return stored
end

-- A value as version 3 stores it: an optional '+' and 6 to 127 digits as
-- a byte 1, a byte with the digit count (plus 128 for the '+') and the
-- digits two to a byte, high nibble first (a phone's 14 bytes in 9); any
-- other value as it is (normalized identifiers never start with a control
-- character). A pair of decimal digits read as hex is that byte.
local function record_value_stored(text)
  local plus, digits = string.match(text, '^(%+?)(%d+)$')
  if not digits or #digits < 6 or #digits > 127 then
    return text
  end
  local n = #digits
  if n % 2 == 1 then
    digits = digits .. '0'
  end
  return string.char(1, n + (plus == '+' and 128 or 0)) ..
    string.gsub(digits, '..', function(pair) return string.char(tonumber(pair, 16)) end)
end

local function record_value_text(stored)
  if string.byte(stored, 1) ~= 1 or #stored < 2 then
    return stored
  end
  local head = string.byte(stored, 2)
  local n = head % 128
  local digits = string.format(string.rep('%02x', #stored - 2), string.byte(stored, 3, -1))
  return (head >= 128 and '+' or '') .. string.sub(digits, 1, n)
end

-- The record at a slot as a table of version 1's values, and as stored;
-- nil when there is none.
local function record_get(key, field)
  local packed = redis.call('HGET', key, field)
  if not packed then
    return nil, nil
  end
  local r = cmsgpack.unpack(packed)
  if r[R.version] == kRecordVersionDigits then
    r[R.value] = record_value_text(r[R.value])
    r[R.version] = kRecordVersionCoded
  end
  if r[R.version] == kRecordVersionCoded then
    r[R.version] = kRecordVersion
    r[R.type] = kTypeNames[r[R.type]]
    if type(r[R.reason]) == 'number' then
      r[R.reason] = kReasonNames[r[R.reason]]
    end
    r[R.banned_by] = record_key_id_text(r[R.banned_by])
    if r[R.lifted_by] then
      r[R.lifted_by] = record_key_id_text(r[R.lifted_by])
    end
  end
  return r, packed
end

-- Stores r (version 1's values) at a slot, as version 3; returns the packed
-- form. r's type, value, reason and key ids are put back as they were
-- after the packing (in place: a copy of the table cost ~0.7 us a ban).
local function record_put(key, field, r)
  local type_name, value, reason, banned_by, lifted_by = r[R.type], r[R.value], r[R.reason],
    r[R.banned_by], r[R.lifted_by]
  local type_code = kTypeCodes[type_name]
  if type_code then  -- (a type banlistd does not know stays version 1)
    r[R.version] = kRecordVersionDigits
    r[R.type] = type_code
    r[R.value] = record_value_stored(value)
    r[R.reason] = kReasonCodes[reason] or reason
    r[R.banned_by] = record_key_id_stored(banned_by)
    if lifted_by then
      r[R.lifted_by] = record_key_id_stored(lifted_by)
    end
  end
  local packed = cmsgpack.pack(r)
  r[R.version], r[R.type], r[R.value], r[R.reason] = kRecordVersion, type_name, value, reason
  r[R.banned_by], r[R.lifted_by] = banned_by, lifted_by
  redis.call('HSET', key, field, packed)
  return packed
end

-- The record of fp (record_get), and its storing (record_put), by fp.
local function record_read(base, fp)
  return record_get(record_slot(base, fp))
end

local function record_write(base, fp, r)
  local key, field = record_slot(base, fp)
  return record_put(key, field, r)
end

local function record_int(n)
  return string.format('%.0f', n)
end

-- The record as the field/value strings of a layout 3 hash, without type,
-- value, masked and status: what the history list archives of an episode
-- (GET /v1/bans/{fp}/history reads them back the same way as ever).
local function record_archive_fields(r)
  local f = {'reason', r[R.reason], 'note', r[R.note], 'case_id', r[R.case_id],
    'source', r[R.source], 'public', record_int(r[R.public]),
    'banned_at', record_int(r[R.banned_at]), 'banned_by', r[R.banned_by],
    'seq', record_int(r[R.seq])}
  local function put(name, value)
    f[#f + 1] = name
    f[#f + 1] = value
  end
  if r[R.expires_at] ~= 0 then put('expires_at', record_int(r[R.expires_at])) end
  if r[R.report_id] ~= '' then put('report_id', r[R.report_id]) end
  if r[R.status] == kLifted then
    put('lifted_at', record_int(r[R.lifted_at]))
    put('lifted_by', r[R.lifted_by])
    put('lift_reason', r[R.lift_reason])
    put('lift_seq', record_int(r[R.lift_seq]))
    if r[R.lift_case_id] ~= '' then put('lift_case_id', r[R.lift_case_id]) end
    if r[R.lift_note] ~= '' then put('lift_note', r[R.lift_note]) end
  end
  return f
end
