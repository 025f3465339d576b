-- common: prepended to every script of the queue when it is loaded (RetryQueueScripts), so the
-- clock, the lease check, leasing and the enrollment lookup are written once. Defines functions
-- only; runs no command.
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
