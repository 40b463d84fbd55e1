-- wrk script: GET /v1/check?fp=<32 random hex digits>, a negative check
-- answered from the filter. 4,096 requests are formatted up front and
-- cycled, so wrk spends its time on the connection, not in Lua.
-- The partner key comes from the environment: BANLIST_KEY=... wrk -s wrk_check.lua ...
local key = os.getenv("BANLIST_KEY")
if not key then
  error("set BANLIST_KEY to a partner (or admin) key")
end
local requests = {}
math.randomseed(os.time())
for i = 1, 4096 do
  local digits = {}
  for j = 1, 32 do
    digits[j] = string.format("%x", math.random(0, 15))
  end
  requests[i] = wrk.format("GET", "/v1/check?fp=" .. table.concat(digits),
                           { ["Authorization"] = "Bearer " .. key })
end
local next_index = 0
request = function()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
