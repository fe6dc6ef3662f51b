-- A run ended (succeeded, failed, or went back to the queue): its job leaves
-- the running set, unless another run has taken the job over meanwhile. A
-- job that went back to the queue is noted as due (ss:due) at its retry time,
-- so that a countdown lost with a killed worker is sent again (job_resend.lua).
--   KEYS[1] the job record, KEYS[2] the running jobs, KEYS[3] the due jobs
--   ARGV[1] job id, ARGV[2] the task id of the run that ended,
--   ARGV[3] seconds after its last update a queued job without a retry time is due
if redis.call('HGET', KEYS[1], 'owner') == ARGV[2] or redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('ZREM', KEYS[2], ARGV[1])
    local fields = redis.call('HMGET', KEYS[1], 'status', 'retry_at', 'updated_at')
    if fields[1] == 'queued' then
        local due = tonumber(fields[2] or '')
        if not due then
            due = tonumber(fields[3] or '0') + tonumber(ARGV[3])
        end
        redis.call('ZADD', KEYS[3], due, ARGV[1])
    end
    return 1
end
return 0
