-- lock_release: frees the cycle lock, only for its holder (compare, then DEL): a holder whose
-- lock expired and was taken by another instance must not free the new holder's lock.
--
-- KEYS[1]  cycle:lock (string: the holder's fencing token)
-- ARGV[1]  the caller's fencing token
-- Returns  1 released, 0 not held by the caller

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
