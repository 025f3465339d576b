-- common: prepended to every script of the queue when it is loaded (RetryQueueScripts), so the
-- clock, the lease check, leasing, claiming, acking and the enrollment lookup are written once.
-- Defines functions only; runs no command.
--
-- Variadic commands over whole batches (call_many, hmget_many) rather than one command per item:
-- each redis.call from Lua costs about as much as the work it does on a small set, so a claim and
-- an ack of 50 items cost a handful of calls instead of twelve per item (docs/benchmarks.md,
-- orphan drain).

-- The Redis server's clock in Unix ms. Every time the queue uses comes from here (ARGV carries
-- only relative delays), so app instances whose clocks disagree still agree on what is due and
-- which lease has expired.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Lua's unpack fails beyond ~8000 values: a variadic call is split into calls of at most this
-- many arguments (even, so score/member and field/value pairs are never split).
local MANY = 1000

-- `cmd key args...` for a list of any length, in calls of at most MANY arguments.
local function call_many(cmd, key, args)
  for i = 1, #args, MANY do
    redis.call(cmd, key, unpack(args, i, math.min(i + MANY - 1, #args)))
  end
end

-- HMGET for a list of any length: the values in the order of `fields`, false where absent.
local function hmget_many(key, fields)
  local values = {}
  for i = 1, #fields, MANY do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + MANY - 1, #fields)))
    for j = 1, #part do
      values[i + j - 1] = part[j]
    end
  end
  return values
end

-- True when no lease has expired: the earliest expiry in `leases` is after now (or there is none).
-- Then an id whose token matches holds a live lease without a ZSCORE of its own, since an id has
-- a token exactly while it is in `leases` (docs/retry-queue.md).
local function no_lease_expired(leases, now)
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return first[2] == nil or tonumber(first[2]) > now
end

-- True when `token` is the fencing token of the current lease on `id` and that lease has not
-- expired: a stale worker (lease expired, reclaimed or taken over) gets false.
local function holds_lease(leases, tokens, id, token, now)
  if redis.call('HGET', tokens, id) ~= token then
    return false
  end
  local expiry = tonumber(redis.call('ZSCORE', leases, id))
  return expiry ~= nil and expiry > now
end

-- Leases `ids` (already out of `due`; `jsons` their bodies, same order) until `lease_end` under
-- one fresh fencing token for the whole call: a token is unique per lease of an id, which is all
-- the fencing check needs, and one INCR per claim replaces one per item. Appends
-- id, token, json per item to `result`.
local function lease(leases, tokens, fence, ids, jsons, lease_end, result)
  if #ids == 0 then
    return
  end
  local token = redis.call('INCR', fence)
  local scored, owned = {}, {}
  for i, id in ipairs(ids) do
    scored[2 * i - 1] = lease_end
    scored[2 * i] = id
    owned[2 * i - 1] = id
    owned[2 * i] = token
    result[#result + 1] = id
    result[#result + 1] = token
    result[#result + 1] = jsons[i]
  end
  call_many('ZADD', leases, scored)
  call_many('HSET', tokens, owned)
end

-- The items waiting for the enrollments whose index sets are KEYS[first..]: those in `due` are
-- returned as {id, due time} in index order; those leased are marked in `promoted`, so that when
-- their worker reschedules them they become due now (the worker may have looked for the
-- enrollment just before it was committed). Shared by promote and promote_claim.
local function waiting_for(due, leases, promoted, first)
  local waiting, marked = {}, {}
  for i = first, #KEYS do
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do
      local at = tonumber(redis.call('ZSCORE', due, id))
      if at then
        waiting[#waiting + 1] = { id, at }
      elseif redis.call('ZSCORE', leases, id) then
        marked[#marked + 1] = id
      end
    end
  end
  call_many('SADD', promoted, marked)
  return waiting
end

-- Makes waiting[from..] due now where they are due later (an earlier due time is kept); returns
-- how many moved. ZADD XX with the time checked here rather than ZADD XX LT: LT needs Redis 6.2
-- and Azure Cache for Redis still offers 6.0.
local function make_due_now(due, waiting, from, now)
  local scored = {}
  for i = from, #waiting do
    if waiting[i][2] > now then
      scored[#scored + 1] = now
      scored[#scored + 1] = waiting[i][1]
    end
  end
  if #scored > 0 then
    for i = 1, #scored, MANY do
      redis.call('ZADD', due, 'XX', unpack(scored, i, math.min(i + MANY - 1, #scored)))
    end
  end
  return #scored / 2
end

-- Claims for claim and ack_claim: puts up to `reclaim_limit` expired leases back as due now, then
-- leases up to `max` due items, oldest due first, until now + `lease_ms` under one fencing token.
-- Appends to `result`: reclaimed (expired leases put back), missing (due ids without a body,
-- removed: only possible when someone edited the keys by hand), then id, token, json per item.
local function claim_due(due, leases, tokens, fence, items, promoted, max, lease_ms, reclaim_limit, now, result)
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, reclaim_limit)
  if #expired > 0 then
    call_many('ZREM', leases, expired)
    call_many('HDEL', tokens, expired)
    call_many('SREM', promoted, expired)
    local scored = {}
    for i, id in ipairs(expired) do
      scored[2 * i - 1] = now
      scored[2 * i] = id
    end
    call_many('ZADD', due, scored)
  end

  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, max)
  result[#result + 1] = #expired
  result[#result + 1] = 0
  if #ids == 0 then
    return
  end
  local at_missing = #result

  -- The ids just read are the set's first #ids by rank (lowest due time first), so removing by
  -- rank takes exactly them without sending them back.
  redis.call('ZREMRANGEBYRANK', due, 0, #ids - 1)
  local jsons = hmget_many(items, ids)
  local found, bodies = {}, {}
  for i, id in ipairs(ids) do
    if jsons[i] then
      found[#found + 1] = id
      bodies[#bodies + 1] = jsons[i]
    end
  end
  result[at_missing] = #ids - #found
  lease(leases, tokens, fence, found, bodies, now + lease_ms, result)
end

-- Acks for ack and ack_claim: removes the resolved items whose id and token are
-- ARGV[first_arg + 2i - 2] and ARGV[first_arg + 2i - 1] (i = 1..count; the item's index set is
-- KEYS[first_key + i - 1]), each only for the worker that holds its lease: same fencing token and
-- the lease not expired. Returns per item, in order, 1 removed or 0 refused (lease expired,
-- reclaimed or taken over; or the id already acked earlier in this call).
local function ack_leased(leases, tokens, items, promoted, first_key, first_arg, count, now)
  local ids = {}
  for i = 1, count do
    ids[i] = ARGV[first_arg + 2 * i - 2]
  end
  local results = {}
  if count == 0 then
    return results
  end

  local current = hmget_many(tokens, ids)
  -- The common case: no lease in the queue has expired, so a matching token is a live lease.
  local all_live = no_lease_expired(leases, now)
  local removed, seen = {}, {}
  for i = 1, count do
    local id = ids[i]
    local held = not seen[id] and current[i] == ARGV[first_arg + 2 * i - 1]
    if held and not all_live then
      local expiry = tonumber(redis.call('ZSCORE', leases, id))
      held = expiry ~= nil and expiry > now
    end
    if held then
      seen[id] = true
      removed[#removed + 1] = id
      redis.call('SREM', KEYS[first_key + i - 1], id)
      results[i] = 1
    else
      results[i] = 0
    end
  end

  if #removed > 0 then
    call_many('ZREM', leases, removed)
    call_many('HDEL', tokens, removed)
    call_many('HDEL', items, removed)
    call_many('SREM', promoted, removed)
  end
  return results
end
