-- ack_claim: one round trip per batch for the retry cycle. Acks the batch the cycle has just
-- processed (exactly as ack does), then, only while the caller still holds the cycle lock, extends
-- the lock (as lock_extend does) and claims the next batch (exactly as claim does: its own fencing
-- token, its own lease). A caller that lost the lock gets its acks and no claim.
--
-- KEYS[1]    due (zset: id -> due time, Unix ms)
-- KEYS[2]    leases (zset: id -> lease expiry, Unix ms)
-- KEYS[3]    tokens (hash: id -> fencing token of the current lease)
-- KEYS[4]    fence (string: the fencing-token counter)
-- KEYS[5]    items (hash: id -> item JSON)
-- KEYS[6]    promoted (set: leased ids whose enrollment arrived during the lease)
-- KEYS[7]    cycle:lock (string: the holder's fencing token)
-- KEYS[7+i]  the index set of the i-th item to ack
-- ARGV[1]    the most items to lease
-- ARGV[2]    lease length in ms
-- ARGV[3]    the most expired leases to reclaim in this call
-- ARGV[4]    the caller's cycle-lock token
-- ARGV[5]    the lock's new ttl in ms
-- ARGV[4+2i] the i-th item id to ack; ARGV[5+2i] the fencing token of the caller's lease on it
-- Returns    {held, n, ack1, ..., ackn, reclaimed, missing, id1, token, json1, ...}: held 1 when
--            the lock was held and extended (0: lost, nothing claimed); n items acked, each 1
--            removed or 0 refused (as ack); then claim's answer (reclaimed 0, missing 0 and no
--            items when the lock was lost)
-- Uses       now_ms, ack_leased, claim_due (common.lua, prepended when loaded)

local now = now_ms()
local count = (#ARGV - 5) / 2
local acks = ack_leased(KEYS[2], KEYS[3], KEYS[5], KEYS[6], 8, 6, count, now)
local result = { 0, count }
for i = 1, count do
  result[2 + i] = acks[i]
end

if redis.call('GET', KEYS[7]) ~= ARGV[4] then
  result[#result + 1] = 0
  result[#result + 1] = 0
  return result
end
redis.call('PEXPIRE', KEYS[7], tonumber(ARGV[5]))
result[1] = 1
claim_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now, result)
return result
