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
-- Uses       now_ms, waiting_for, make_due_now (common.lua, prepended when loaded)

local now = now_ms()
return make_due_now(KEYS[1], waiting_for(KEYS[1], KEYS[2], KEYS[3], 4), 1, now)
