-- promote_claim: an enrollment arrived and its caller will apply the parked items now. Up to N of
-- the items waiting for it are leased to the caller (as claim does: fencing token, lease expiry),
-- the rest become due now (as promote does). An item already leased stays with its worker and is
-- marked, as promote does. The caller acks what it applied like any worker, so a concurrent retry
-- cycle can never apply an item twice: an item is either leased here or claimable there, never both.
--
-- KEYS[1]    due (zset: id -> due time, Unix ms)
-- KEYS[2]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[3]    tokens (hash: id -> fencing token of the current lease)
-- KEYS[4]    fence (string: the fencing-token counter)
-- KEYS[5]    items (hash: id -> item JSON)
-- KEYS[6]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[6+i]  the index set (idx:<hash>) of lookup key i, i = 1..n
-- ARGV[1]    the most items to lease
-- ARGV[2]    lease length in ms
-- Returns    {madeDue, id1, token1, json1, id2, token2, json2, ...}
--            madeDue: parked items beyond the limit that were made due now (already due: not counted)
-- Uses       now_ms (common.lua, prepended when loaded)

local now = now_ms()
local max = tonumber(ARGV[1])
local leaseEnd = now + tonumber(ARGV[2])

local result = { 0 }
local leased = 0
local madeDue = 0
for i = 7, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local due = tonumber(redis.call('ZSCORE', KEYS[1], id))
    if due then
      local json = redis.call('HGET', KEYS[5], id)
      if not json then
        -- A due id without a body (keys edited by hand): claim would drop it too.
        redis.call('ZREM', KEYS[1], id)
      elseif leased < max then
        redis.call('ZREM', KEYS[1], id)
        local token = redis.call('INCR', KEYS[4])
        redis.call('ZADD', KEYS[2], leaseEnd, id)
        redis.call('HSET', KEYS[3], id, token)
        result[#result + 1] = id
        result[#result + 1] = token
        result[#result + 1] = json
        leased = leased + 1
      elseif due > now then
        redis.call('ZADD', KEYS[1], 'XX', now, id)
        madeDue = madeDue + 1
      end
    elseif redis.call('ZSCORE', KEYS[2], id) then
      redis.call('SADD', KEYS[6], id)
    end
  end
end
result[1] = madeDue

return result
