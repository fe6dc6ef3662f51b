-- Delete KEYS[1] if its value is still ARGV[1] (a lock, claim or mark we
-- hold): one that expired and was taken by someone else stays theirs.
-- Returns 1 when deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
