-- lock_extend: extends the cycle lock, only for its holder (compare, then PEXPIRE).
--
-- KEYS[1]  cycle:lock (string: the holder's fencing token)
-- ARGV[1]  the caller's fencing token
-- ARGV[2]  ttl in ms
-- Returns  1 extended, 0 lost (expired, perhaps taken by another instance)

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
