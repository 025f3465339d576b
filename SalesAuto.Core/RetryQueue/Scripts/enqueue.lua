-- enqueue: parks orphans, each due after its own delay. Idempotent per item id: an item that is
-- already queued (parked or leased) keeps its body, schedule and attempts, so a redelivered
-- webhook cannot reset its backoff. A full queue refuses; nothing is dropped.
--
-- KEYS[1]    items (hash: id -> item JSON)
-- KEYS[2]    due (zset: id -> due time, Unix ms)
-- KEYS[2+i]  the index set (idx:<hash>) of item i's enrollment lookup key, i = 1..n
-- ARGV[1]    max length (RetryQueue:MaxLength)
-- ARGV[2+3(i-1)], ARGV[3+3(i-1)], ARGV[4+3(i-1)]: item i's id, JSON, delay in ms
-- Returns    an array of n integers, one per item: 0 enqueued, 1 already queued, 2 full (refused)
-- Uses     now_ms (common.lua, prepended when loaded)

local now = now_ms()

local maxLength = tonumber(ARGV[1])
local length = redis.call('HLEN', KEYS[1])
local results = {}

for i = 1, #KEYS - 2 do
  local arg = 2 + (i - 1) * 3
  local id = ARGV[arg]
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    results[i] = 1
  elseif length >= maxLength then
    results[i] = 2
  else
    redis.call('HSET', KEYS[1], id, ARGV[arg + 1])
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[arg + 2]), id)
    redis.call('SADD', KEYS[2 + i], id)
    length = length + 1
    results[i] = 0
  end
end

return results
