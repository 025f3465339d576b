-- claim: leases up to N due items, oldest due first, under one fencing token for the call.
-- Expired leases (a worker died or stalled) are first put back as due now and counted, so their
-- items are claimed again.
--
-- KEYS[1]  due (zset: id -> due time, Unix ms)
-- KEYS[2]  leases (zset: id -> lease expiry, Unix ms)
-- KEYS[3]  tokens (hash: id -> fencing token of the current lease)
-- KEYS[4]  fence (string: the fencing-token counter)
-- KEYS[5]  items (hash: id -> item JSON)
-- KEYS[6]  promoted (set: leased ids whose enrollment arrived during the lease)
-- ARGV[1]  the most items to lease
-- ARGV[2]  lease length in ms
-- ARGV[3]  the most expired leases to reclaim in this call (keeps one call bounded)
-- Returns  {reclaimed, missing, id1, token, json1, id2, token, json2, ...} (one token for all)
--          reclaimed: expired leases put back as due; missing: due ids without a body, removed
--          (only possible when someone edited the keys by hand)
-- Uses     now_ms, call_many, hmget_many, lease (common.lua, prepended when loaded)

local now = now_ms()

local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
if #expired > 0 then
  call_many('ZREM', KEYS[2], expired)
  call_many('HDEL', KEYS[3], expired)
  call_many('SREM', KEYS[6], expired)
  local scored = {}
  for i, id in ipairs(expired) do
    scored[2 * i - 1] = now
    scored[2 * i] = id
  end
  call_many('ZADD', KEYS[1], scored)
end

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local result = { #expired, 0 }
if #ids == 0 then
  return result
end

-- The ids just read are the set's first #ids by rank (lowest due time first), so removing by
-- rank takes exactly them without sending them back.
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #ids - 1)
local jsons = hmget_many(KEYS[5], ids)
local found, bodies = {}, {}
for i, id in ipairs(ids) do
  if jsons[i] then
    found[#found + 1] = id
    bodies[#bodies + 1] = jsons[i]
  end
end
result[2] = #ids - #found
lease(KEYS[2], KEYS[3], KEYS[4], found, bodies, now + tonumber(ARGV[2]), result)

return result
