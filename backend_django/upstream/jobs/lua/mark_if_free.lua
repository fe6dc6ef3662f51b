-- Make a claim or pending mark name this job, unless it names another one.
--   KEYS[1] the claim or mark; ARGV[1] job id, ARGV[2] TTL (seconds)
-- Returns 1 when it names the job now, else 0.
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
    return 1
end
return 0
