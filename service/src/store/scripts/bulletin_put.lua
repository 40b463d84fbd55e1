-- bulletin_put: publishes a new typical-case bulletin (ARGV[1] == '') or
-- edits a published one, atomically with the public version and the audit
-- log.
--
-- KEYS: 1 bulletin_seq  2 bulletins (sorted set of published ids, score =
--       id)  3 public_version  4 audit
-- ARGV: 1 id ('' = create)  2 title  3 body  4 linked fingerprints
--       (space-separated)  5 actor key id  6 actor address  7 request id
--       8 bulletin record key prefix ("bl:bulletin:")
-- Returns {1, HGETALL} or {0} when the id is unknown or withdrawn.

local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local id = ARGV[1]
local action
if id == '' then
  id = string.format('%.0f', redis.call('INCR', KEYS[1]))
  redis.call('HSET', ARGV[8] .. id, 'id', id, 'title', ARGV[2], 'body', ARGV[3],
    'linked', ARGV[4], 'status', 'published', 'created_at', now, 'updated_at', now,
    'created_by', ARGV[5])
  redis.call('ZADD', KEYS[2], tonumber(id), id)
  action = 'bulletin_publish'
else
  if redis.call('HGET', ARGV[8] .. id, 'status') ~= 'published' then
    return {0}
  end
  redis.call('HSET', ARGV[8] .. id, 'title', ARGV[2], 'body', ARGV[3], 'linked', ARGV[4],
    'updated_at', now, 'updated_by', ARGV[5])
  action = 'bulletin_edit'
end
redis.call('INCR', KEYS[3])
audit_append(KEYS[4], action, audit_actor(ARGV[5], ARGV[6], ARGV[7]),
  audit_part('bulletin:' .. id), 'title_bytes=' .. #ARGV[2])
return {1, redis.call('HGETALL', ARGV[8] .. id)}
