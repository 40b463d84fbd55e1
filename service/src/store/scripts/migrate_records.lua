-- migrate_records: moves layout 3's record hashes (one key per fingerprint,
-- `{prefix}ban:{fp}`, a field per value) into the packed records of
-- layout 4 (record.lua). The caller finds the old keys with SCAN and runs
-- this on each page of them until none is left, then sets the layout
-- marker; each run is atomic, and a key already moved is simply gone.
--
-- KEYS: 1 rec (base name of the record buckets)
-- ARGV: the old record keys; each name ends with its fingerprint (32 hex)
-- Returns the number of records moved.

local moved = 0
for _, old_key in ipairs(ARGV) do
  local flat = redis.call('HGETALL', old_key)
  if #flat > 0 then
    local h = {}
    for i = 1, #flat, 2 do
      h[flat[i]] = flat[i + 1]
    end
    local fp = string.sub(old_key, -32)
    local public_n, masked = 0, ''
    if h.public == '1' then
      public_n, masked = 1, h.masked or ''
    end
    local r = {kRecordVersion, h.type or '', h.value or '', masked, h.reason or '', h.note or '',
      h.case_id or '', h.source or '', public_n, tonumber(h.banned_at) or 0,
      h.banned_by or '', tonumber(h.seq) or 0, tonumber(h.expires_at) or 0,
      h.report_id or '', kBanned}
    if h.status == 'lifted' then
      r[R.status] = kLifted
      r[R.lifted_at] = tonumber(h.lifted_at) or 0
      r[R.lifted_by] = h.lifted_by or ''
      r[R.lift_reason] = h.lift_reason or ''
      r[R.lift_seq] = tonumber(h.lift_seq) or 0
      r[R.lift_case_id] = h.lift_case_id or ''
      r[R.lift_note] = h.lift_note or ''
    end
    record_write(KEYS[1], fp, r)
    redis.call('DEL', old_key)
    moved = moved + 1
  end
end
return moved
