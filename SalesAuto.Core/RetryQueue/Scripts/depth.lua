-- depth: the queue's size without a scan: two ZCARDs and the lowest due score, O(1)/O(log n).
-- Writes nothing.
--
-- KEYS[1]  due (zset: id -> due time, Unix ms)
-- KEYS[2]  leases (zset: id -> lease expiry, Unix ms)
-- ARGV     none
-- Returns  {due count, leased count, oldest due age in ms (0 when nothing is overdue)}
-- Uses     now_ms (common.lua, prepended when loaded)

local now = now_ms()

local age = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  age = math.max(0, now - tonumber(oldest[2]))
end

return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), age }
