-- srem_many (bench only): removes ARGV[i] from the set KEYS[i], for every i (the index sets of the
-- items claim_delete took).
for i = 1, #KEYS do
  redis.call('SREM', KEYS[i], ARGV[i])
end
return #KEYS
