-- claim: leases up to N due items, oldest due first. Expired leases (a worker died or stalled)
-- are first put back as due now and counted, so their items are claimed again.
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
-- Returns  {reclaimed, missing, id1, token1, json1, id2, token2, json2, ...}
--          reclaimed: expired leases put back as due; missing: due ids without a body, removed
--          (only possible when someone edited the keys by hand)
-- Uses     now_ms (common.lua, prepended when loaded)

local now = now_ms()

local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('SREM', KEYS[6], id)
  redis.call('ZADD', KEYS[1], now, id)
end

local leaseEnd = now + tonumber(ARGV[2])
local result = { #expired, 0 }
local missing = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  redis.call('ZREM', KEYS[1], id)
  local json = redis.call('HGET', KEYS[5], id)
  if json then
    local token = redis.call('INCR', KEYS[4])
    redis.call('ZADD', KEYS[2], leaseEnd, id)
    redis.call('HSET', KEYS[3], id, token)
    result[#result + 1] = id
    result[#result + 1] = token
    result[#result + 1] = json
  else
    missing = missing + 1
  end
end
result[2] = missing

return result
