-- claim_delete (bench only, never shipped): what the drain would be without leases. Takes up to N
-- due items out of the queue for good in one call, as ZPOPMIN does: no lease, no fencing token,
-- no ack. A worker that crashes after this call loses the batch (at most once, not exactly once).
-- The items' index sets are cleaned by a second call the caller does not wait for (srem_many).
--
-- KEYS[1]  due (zset: id -> due time, Unix ms)
-- KEYS[2]  items (hash: id -> item JSON)
-- ARGV[1]  the most items to take
-- Returns  {id1, json1, id2, json2, ...}

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #ids == 0 then
  return {}
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #ids - 1)
local jsons = redis.call('HMGET', KEYS[2], unpack(ids))
redis.call('HDEL', KEYS[2], unpack(ids))
local result = {}
for i, id in ipairs(ids) do
  result[2 * i - 1] = id
  result[2 * i] = jsons[i]
end
return result
