-- promote: an enrollment arrived; every parked item waiting for it becomes due now (an item
-- already due keeps its earlier time). A leased item stays with its worker, but is marked: its
-- worker may have looked for the enrollment just before it was committed, and if it reschedules
-- the item, the mark makes it due now instead of after a backoff of up to an hour.
--
-- KEYS[1]    due (zset: id -> due time, Unix ms)
-- KEYS[2]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[3]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[3+i]  the index set (idx:<hash>) of lookup key i, i = 1..n
-- ARGV       none
-- Returns    how many parked items were made due now (marked leased items are not counted)
--
-- ZSCORE then ZADD XX rather than ZADD XX LT: LT needs Redis 6.2 and Azure Cache for Redis
-- still offers 6.0.
-- Uses     now_ms (common.lua, prepended when loaded)

local now = now_ms()

local promoted = 0
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local due = tonumber(redis.call('ZSCORE', KEYS[1], id))
    if due then
      if due > now then
        redis.call('ZADD', KEYS[1], 'XX', now, id)
        promoted = promoted + 1
      end
    elseif redis.call('ZSCORE', KEYS[2], id) then
      redis.call('SADD', KEYS[3], id)
    end
  end
end

return promoted
