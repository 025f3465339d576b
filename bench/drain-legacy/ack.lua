-- ack: removes resolved items (applied, duplicate or dead-lettered), each only for the worker that
-- holds its lease: same fencing token and the lease not expired. A stale worker gets 0 for that
-- item; the others are still removed. One call acks a whole batch: one round trip, not one per item.
--
-- KEYS[1]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[2]    tokens (hash: id -> fencing token of the current lease)
-- KEYS[3]    items (hash: id -> item JSON)
-- KEYS[4]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[4+i]  the index set (idx:<hash> of its enrollment lookup key) of the i-th item
-- ARGV[2i-1] the i-th item id
-- ARGV[2i]   the fencing token of the caller's lease on it
-- Returns    an array with, per item in order, 1 removed or 0 refused (lease expired, reclaimed or taken over)
-- Uses       now_ms, holds_lease (common.lua, prepended when loaded)

local now = now_ms()
local results = {}

for i = 1, #ARGV / 2 do
  local id = ARGV[2 * i - 1]
  if holds_lease(KEYS[1], KEYS[2], id, ARGV[2 * i], now) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('SREM', KEYS[4 + i], id)
    redis.call('SREM', KEYS[4], id)
    results[i] = 1
  else
    results[i] = 0
  end
end

return results
