-- A task starts running its job, unless someone alive runs it already.
--   KEYS[1] the job record, KEYS[2] the running jobs (sorted set), KEYS[3..] the job's unit locks
--   ARGV[1] job id, ARGV[2] this delivery's task id, ARGV[3] this run's lock token,
--   ARGV[4] seconds after which a heartbeat is stale, ARGV[5] record TTL, ARGV[6] now (text)
-- Returns "run", "duplicate" (another live run has it), or the status of a
-- job that ended ("succeeded", "failed"; "gone" when there is no record).
-- A job still "running" under the same task id is that task's earlier
-- delivery, whose worker died (a redelivery); one whose heartbeat is stale
-- was abandoned: either is taken over, and the unit locks the old run held
-- are released so this run does not wait for them to expire.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
    return 'gone'
end
if status == 'succeeded' or status == 'failed' then
    return status
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if status == 'running' then
    local owner = redis.call('HGET', KEYS[1], 'owner')
    local beat = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0')
    if owner ~= ARGV[2] and now - beat < tonumber(ARGV[4]) then
        return 'duplicate'
    end
end
local old_token = redis.call('HGET', KEYS[1], 'lock_token')
if old_token then
    for i = 3, #KEYS do
        if redis.call('GET', KEYS[i]) == old_token then
            redis.call('DEL', KEYS[i])
        end
    end
end
redis.call('HSET', KEYS[1], 'status', 'running', 'owner', ARGV[2], 'lock_token', ARGV[3],
    'waiting_for', '', 'retry_at', '', 'updated_at', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
redis.call('ZADD', KEYS[2], now, ARGV[1])
return 'run'
