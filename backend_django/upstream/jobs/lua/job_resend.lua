-- A queued job past its retry time by the grace: its task message was
-- probably held (as a countdown) by a worker that died. Claim sending it
-- again, once per grace period; a job that is no longer queued leaves the set.
--   KEYS[1] the job record, KEYS[2] the due jobs, KEYS[3] its single-flight claim,
--   KEYS[4..] its units' pending marks
--   ARGV[1] job id, ARGV[2] the grace (seconds), ARGV[3] claim / pending mark TTL
-- Returns 1 when the caller should send the task again, else 0.
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 0
end
local now = tonumber(redis.call('TIME')[1])
local due = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0')
if now - due < tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
for i = 3, #KEYS do
    local holder = redis.call('GET', KEYS[i])
    if not holder or holder == ARGV[1] then
        redis.call('SET', KEYS[i], ARGV[1], 'EX', tonumber(ARGV[3]))
    end
end
return 1
