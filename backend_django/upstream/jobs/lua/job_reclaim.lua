-- Take back a job whose worker stopped beating: it goes back to the queue,
-- waiting for a worker, and the locks and marks its dead run held are let go.
-- Atomic, so that of many requests and sweeps meeting it one re-enqueues it.
--   KEYS[1] the job record, KEYS[2] the running jobs, KEYS[3] its single-flight claim,
--   KEYS[4 .. 3+n] its units' pending marks, KEYS[4+n ..] its units' locks
--   ARGV[1] job id, ARGV[2] seconds after which a heartbeat is stale, ARGV[3] n (units),
--   ARGV[4] claim / pending mark TTL, ARGV[5] record TTL, ARGV[6] now (text)
-- Returns 1 when reclaimed (the caller enqueues its task), else 0.
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'running' then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
-- A run recorded before heartbeats existed (no member) is judged by its last update.
local beat = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or redis.call('HGET', KEYS[1], 'updated_at') or '0')
if now - beat < tonumber(ARGV[2]) then
    return 0
end
local n = tonumber(ARGV[3])
local token = redis.call('HGET', KEYS[1], 'lock_token')
if token then
    for i = 4 + n, #KEYS do
        if redis.call('GET', KEYS[i]) == token then
            redis.call('DEL', KEYS[i])
        end
    end
end
-- The job stays the one filling its units: whoever misses them now joins it.
for i = 3, 3 + n do
    local holder = redis.call('GET', KEYS[i])
    if not holder or holder == ARGV[1] then
        redis.call('SET', KEYS[i], ARGV[1], 'EX', tonumber(ARGV[4]))
    end
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'owner', '', 'lock_token', '', 'updated_at', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
