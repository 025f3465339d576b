-- release: gives a leased item back unchanged, due now (shutdown, a dependency outage), only
-- for the worker that holds its lease (same token, lease not expired). Spends no attempt.
--
-- KEYS[1]  leases (zset: id -> lease expiry, Unix ms)
-- KEYS[2]  tokens (hash: id -> fencing token of the current lease)
-- KEYS[3]  due (zset: id -> due time, Unix ms)
-- KEYS[4]  promoted (set: leased ids whose enrollment arrived during the lease)
-- ARGV[1]  item id
-- ARGV[2]  fencing token of the caller's lease
-- Returns  1 released, 0 refused (lease expired, reclaimed or taken over)
-- Uses     now_ms, holds_lease (common.lua, prepended when loaded)

local now = now_ms()

local id = ARGV[1]
if not holds_lease(KEYS[1], KEYS[2], id, ARGV[2], now) then
  return 0
end

redis.call('ZREM', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
redis.call('SREM', KEYS[4], id)
redis.call('ZADD', KEYS[3], now, id)
return 1
