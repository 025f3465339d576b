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
-- Uses       now_ms, ack_leased (common.lua, prepended when loaded)

return ack_leased(KEYS[1], KEYS[2], KEYS[3], KEYS[4], 5, 1, #ARGV / 2, now_ms())
