-- forget: removes parked or leased items for good, whatever their state: a privacy erase
-- (docs/privacy.md). Idempotent: an id that is no longer there counts 0. A worker holding a lease
-- on a forgotten item loses it (its token is gone): its ack or reschedule is refused as stale.
--
-- KEYS[1]    items (hash: id -> item JSON)
-- KEYS[2]    due (zset: id -> due time, Unix ms)
-- KEYS[3]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[4]    tokens (hash: id -> fencing token of the current lease)
-- KEYS[5]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[5+i]  the index set (idx:<hash>) of item i's enrollment lookup key, i = 1..n
-- ARGV[i]    item i's id
-- Returns    how many items were removed
-- Uses       nothing of common.lua (prepended when loaded)

local removed = 0
for i = 1, #ARGV do
  local id = ARGV[i]
  removed = removed + redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('SREM', KEYS[5], id)
  redis.call('SREM', KEYS[5 + i], id)
end

return removed
