-- ack: removes resolved items (applied, duplicate or dead-lettered), each only for the worker that
-- holds its lease: same fencing token and the lease not expired. A stale worker gets 0 for that
-- item; the others are still removed. One call acks a whole batch: one round trip, and one
-- command per item (its index set) beside a few variadic ones for the batch.
--
-- KEYS[1]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[2]    tokens (hash: id -> fencing token of the current lease)
-- KEYS[3]    items (hash: id -> item JSON)
-- KEYS[4]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[4+i]  the index set (idx:<hash> of its enrollment lookup key) of the i-th item
-- ARGV[2i-1] the i-th item id
-- ARGV[2i]   the fencing token of the caller's lease on it
-- Returns    an array with, per item in order, 1 removed or 0 refused (lease expired, reclaimed
--            or taken over; or the id already acked earlier in this call)
-- Uses       now_ms, call_many, hmget_many, no_lease_expired (common.lua, prepended when loaded)

local now = now_ms()
local count = #ARGV / 2
local ids = {}
for i = 1, count do
  ids[i] = ARGV[2 * i - 1]
end

local current = hmget_many(KEYS[2], ids)
-- The common case: no lease in the queue has expired, so a matching token is a live lease.
local all_live = no_lease_expired(KEYS[1], now)
local results, removed, seen = {}, {}, {}
for i = 1, count do
  local id = ids[i]
  local held = not seen[id] and current[i] == ARGV[2 * i]
  if held and not all_live then
    local expiry = tonumber(redis.call('ZSCORE', KEYS[1], id))
    held = expiry ~= nil and expiry > now
  end
  if held then
    seen[id] = true
    removed[#removed + 1] = id
    redis.call('SREM', KEYS[4 + i], id)
    results[i] = 1
  else
    results[i] = 0
  end
end

if #removed > 0 then
  call_many('ZREM', KEYS[1], removed)
  call_many('HDEL', KEYS[2], removed)
  call_many('HDEL', KEYS[3], removed)
  call_many('SREM', KEYS[4], removed)
end

return results
