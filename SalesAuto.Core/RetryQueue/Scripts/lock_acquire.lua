-- lock_acquire: takes the cross-instance cycle lock when nobody holds it, with a fresh fencing
-- token as its value and an expiry, so a holder that dies frees it after ttl.
--
-- KEYS[1]  cycle:lock (string: the holder's fencing token)
-- KEYS[2]  fence (string: the fencing-token counter)
-- ARGV[1]  ttl in ms
-- Returns  the holder's fencing token, or 0 when another holder has the lock

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', tonumber(ARGV[1]))
return token
