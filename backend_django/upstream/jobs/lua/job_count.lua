-- Count one more upstream request of a job that has not ended.
--   KEYS[1] the job record; ARGV[1] record TTL, ARGV[2] updated_at
-- Returns the job's attempts, or 0 when it had ended (or is gone).
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'succeeded' or status == 'failed' then
    return 0
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'retry_at', '', 'updated_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return attempts
