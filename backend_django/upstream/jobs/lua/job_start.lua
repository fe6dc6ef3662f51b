-- Join the job already filling these units, or create one. Atomic, so that N
-- concurrent misses produce one job.
--   KEYS[1] the single-flight claim, KEYS[2] the new job's record, KEYS[3] the job key prefix
--   ARGV[1] new job id, ARGV[2] claim TTL, ARGV[3] record TTL, ARGV[4..] field, value pairs
-- Returns {job id, 1 if created else 0}.
local existing = redis.call('GET', KEYS[1])
if existing and redis.call('EXISTS', KEYS[3] .. existing) == 1 then
    return {existing, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {ARGV[1], 1}
