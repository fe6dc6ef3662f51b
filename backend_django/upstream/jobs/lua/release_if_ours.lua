-- Delete each of KEYS whose value is still ARGV[1] (a lock or claim we hold):
-- one that expired and was taken by someone else stays theirs.
-- Returns how many were deleted.
local deleted = 0
for i = 1, #KEYS do
    if redis.call('GET', KEYS[i]) == ARGV[1] then
        deleted = deleted + redis.call('DEL', KEYS[i])
    end
end
return deleted
