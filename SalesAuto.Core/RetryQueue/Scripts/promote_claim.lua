-- promote_claim: an enrollment arrived and its caller will apply the parked items now. Up to N of
-- the items waiting for it are leased to the caller (as claim does: one fencing token, lease
-- expiry), the rest become due now (as promote does). An item already leased stays with its
-- worker and is marked, as promote does. The caller acks what it applied like any worker, so a
-- concurrent retry cycle can never apply an item twice: an item is either leased here or
-- claimable there, never both.
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
-- Returns    {madeDue, id1, token, json1, id2, token, json2, ...} (one token for all)
--            madeDue: parked items beyond the limit that were made due now (already due: not counted)
-- Uses       now_ms, waiting_for, make_due_now, lease, call_many (common.lua, prepended when loaded)

local now = now_ms()
local max = tonumber(ARGV[1])
local waiting = waiting_for(KEYS[1], KEYS[2], KEYS[6], 7)

-- The first `max` waiting items with a body are leased; a due id without a body (keys edited by
-- hand) is dropped, as claim drops it.
local taken, ids, bodies = {}, {}, {}
local pos = 1
while pos <= #waiting and #ids < max do
  local id = waiting[pos][1]
  taken[#taken + 1] = id
  local json = redis.call('HGET', KEYS[5], id)
  if json then
    ids[#ids + 1] = id
    bodies[#bodies + 1] = json
  end
  pos = pos + 1
end
call_many('ZREM', KEYS[1], taken)

local result = { 0 }
lease(KEYS[2], KEYS[3], KEYS[4], ids, bodies, now + tonumber(ARGV[2]), result)
result[1] = make_due_now(KEYS[1], waiting, pos, now)

return result
