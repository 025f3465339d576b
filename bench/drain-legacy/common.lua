-- common: prepended to every script of the queue when it is loaded (RetryQueueScripts), so the
-- clock and the lease check are written once. Defines functions only; runs no command.

-- The Redis server's clock in Unix ms. Every time the queue uses comes from here (ARGV carries
-- only relative delays), so app instances whose clocks disagree still agree on what is due and
-- which lease has expired.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
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
