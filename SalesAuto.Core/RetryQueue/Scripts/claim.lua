-- claim: leases up to N due items, oldest due first, under one fencing token for the call.
-- Expired leases (a worker died or stalled) are first put back as due now and counted, so their
-- items are claimed again.
--
-- KEYS[1]  due (zset: id -> due time, Unix ms)
-- KEYS[2]  leases (zset: id -> lease expiry, Unix ms)
-- KEYS[3]  tokens (hash: id -> fencing token of the current lease)
-- KEYS[4]  fence (string: the fencing-token counter)
-- KEYS[5]  items (hash: id -> item JSON)
-- KEYS[6]  promoted (set: leased ids whose enrollment arrived during the lease)
-- ARGV[1]  the most items to lease
-- ARGV[2]  lease length in ms
-- ARGV[3]  the most expired leases to reclaim in this call (keeps one call bounded)
-- Returns  {reclaimed, missing, id1, token, json1, id2, token, json2, ...} (one token for all)
--          reclaimed: expired leases put back as due; missing: due ids without a body, removed
--          (only possible when someone edited the keys by hand)
-- Uses     now_ms, claim_due (common.lua, prepended when loaded)

local result = {}
claim_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now_ms(), result)
return result
