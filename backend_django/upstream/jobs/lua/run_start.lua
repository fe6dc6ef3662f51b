-- A task starts running its job, unless someone alive runs it already.
--   KEYS[1] the job record, KEYS[2] the running jobs (sorted set), KEYS[3] the due jobs,
--   KEYS[4] its single-flight claim, KEYS[5 .. 4+n] its units' pending marks,
--   KEYS[5+n ..] its units' locks
--   ARGV[1] job id, ARGV[2] this delivery's task id, ARGV[3] this run's lock token,
--   ARGV[4] seconds after which a heartbeat is stale, ARGV[5] record TTL, ARGV[6] now (text),
--   ARGV[7] n (units), ARGV[8] claim / pending mark TTL,
--   ARGV[9] seconds before its retry time that a delivery is early
-- Returns "run", "duplicate" (another live run has it), "early" (the job is
-- queued and its retry time is ahead: its countdown's message will run it),
-- or the status of a job that ended ("succeeded", "failed"; "gone" when
-- there is no record).
-- A job still "running" under the same task id is that task's earlier
-- delivery, whose worker died (a redelivery); one whose heartbeat is stale
-- was abandoned: either is taken over, and the unit locks the old run held
-- are released so this run does not wait for them to expire.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
    return 'gone'
end
if status == 'succeeded' or status == 'failed' then
    redis.call('ZREM', KEYS[3], ARGV[1])
    return status
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if status == 'queued' then
    local retry_at = tonumber(redis.call('HGET', KEYS[1], 'retry_at') or '')
    if retry_at and retry_at - tonumber(ARGV[6]) > tonumber(ARGV[9]) then
        return 'early'
    end
end
if status == 'running' then
    local owner = redis.call('HGET', KEYS[1], 'owner')
    local beat = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0')
    if owner ~= ARGV[2] and now - beat < tonumber(ARGV[4]) then
        return 'duplicate'
    end
end
local n = tonumber(ARGV[7])
local old_token = redis.call('HGET', KEYS[1], 'lock_token')
if old_token then
    for i = 5 + n, #KEYS do
        if redis.call('GET', KEYS[i]) == old_token then
            redis.call('DEL', KEYS[i])
        end
    end
end
-- A job that waited long in the queue keeps its claim and shows in data status while it runs.
for i = 4, 4 + n do
    local holder = redis.call('GET', KEYS[i])
    if not holder or holder == ARGV[1] then
        redis.call('SET', KEYS[i], ARGV[1], 'EX', tonumber(ARGV[8]))
    end
end
redis.call('HSET', KEYS[1], 'status', 'running', 'owner', ARGV[2], 'lock_token', ARGV[3],
    'waiting_for', '', 'retry_at', '', 'updated_at', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 'run'
