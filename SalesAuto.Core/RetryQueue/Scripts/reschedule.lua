-- reschedule: stores the updated item (one more attempt, its last failure) and makes it due
-- after a delay, only for the worker that holds its lease (same token, lease not expired). When
-- its enrollment arrived during the lease (promote marked it), it is due now instead.
--
-- KEYS[1]  leases (zset: id -> lease expiry, Unix ms)
-- KEYS[2]  tokens (hash: id -> fencing token of the current lease)
-- KEYS[3]  items (hash: id -> item JSON)
-- KEYS[4]  due (zset: id -> due time, Unix ms)
-- KEYS[5]  the index set of the item as claimed
-- KEYS[6]  the index set of the updated item (the same key unless its lookup key changed)
-- KEYS[7]  promoted (set: leased ids whose enrollment arrived during the lease)
-- ARGV[1]  item id
-- ARGV[2]  fencing token of the caller's lease
-- ARGV[3]  updated item JSON
-- ARGV[4]  delay in ms
-- Returns  1 rescheduled, 0 refused (lease expired, reclaimed or taken over)
-- Uses     now_ms, holds_lease (common.lua, prepended when loaded)

local now = now_ms()

local id = ARGV[1]
if not holds_lease(KEYS[1], KEYS[2], id, ARGV[2], now) then
  return 0
end

redis.call('HSET', KEYS[3], id, ARGV[3])
redis.call('ZREM', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
local due = now + tonumber(ARGV[4])
if redis.call('SREM', KEYS[7], id) == 1 then
  due = now
end
redis.call('ZADD', KEYS[4], due, id)
if KEYS[5] ~= KEYS[6] then
  redis.call('SREM', KEYS[5], id)
  redis.call('SADD', KEYS[6], id)
end
return 1
