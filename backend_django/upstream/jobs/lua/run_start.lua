-- A task starts running its job, unless someone alive runs it already.
--   KEYS[1] the job record
--   ARGV[1] this delivery's task id, ARGV[2] this run's lock token,
--   ARGV[3] seconds after which a heartbeat is stale, ARGV[4] record TTL, ARGV[5] now (text),
--   ARGV[6] seconds before its retry time that a delivery is early,
--   ARGV[7] the job's last heartbeat (its score in the running set, "" for none;
--   read by the caller, liveness.start_run)
-- Returns {outcome, the lock token of the run it took over ("" for none),
-- Valkey's clock (text)}; outcome is "run", "duplicate" (another live run has
-- it), "early" (the job is queued and its retry time is ahead: its countdown's
-- message will run it), or the status of a job that ended ("succeeded",
-- "failed"; "gone" when there is no record).
-- A job still "running" under the same task id is that task's earlier
-- delivery, whose worker died (a redelivery); one whose heartbeat is stale
-- was abandoned: either is taken over, and the caller releases the unit locks
-- the old run held so this run does not wait for them to expire.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
    return {'gone', '', ''}
end
if status == 'succeeded' or status == 'failed' then
    return {status, '', ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if status == 'queued' then
    local retry_at = tonumber(redis.call('HGET', KEYS[1], 'retry_at') or '')
    if retry_at and retry_at - tonumber(ARGV[5]) > tonumber(ARGV[6]) then
        return {'early', '', ''}
    end
end
if status == 'running' then
    local owner = redis.call('HGET', KEYS[1], 'owner')
    local beat = tonumber(ARGV[7]) or 0
    if owner ~= ARGV[1] and now - beat < tonumber(ARGV[3]) then
        return {'duplicate', '', ''}
    end
end
local old_token = redis.call('HGET', KEYS[1], 'lock_token') or ''
redis.call('HSET', KEYS[1], 'status', 'running', 'owner', ARGV[1], 'lock_token', ARGV[2],
    'waiting_for', '', 'retry_at', '', 'updated_at', ARGV[5])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {'run', old_token, string.format('%.6f', now)}
