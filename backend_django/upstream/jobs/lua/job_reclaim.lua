-- Take back a job whose worker stopped beating: it goes back to the queue,
-- waiting for a worker. Atomic on its record, so that of many requests and
-- sweeps meeting it one re-enqueues it.
--   KEYS[1] the job record
--   ARGV[1] seconds after which a heartbeat is stale, ARGV[2] record TTL,
--   ARGV[3] now (text), ARGV[4] its last heartbeat (its score in the running
--   set, "" for none: then its last update counts; read by the caller)
-- Returns {1, the dead run's lock token} when reclaimed (the caller lets go of
-- its locks, renews its claim and marks, and enqueues its task); {2, ""} when
-- it is not running (the caller drops it from the running set); else {0, ""}.
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'running' then
    return {2, ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local beat = tonumber(ARGV[4]) or tonumber(redis.call('HGET', KEYS[1], 'updated_at') or '0')
if now - beat < tonumber(ARGV[1]) then
    return {0, ''}
end
local token = redis.call('HGET', KEYS[1], 'lock_token') or ''
redis.call('HSET', KEYS[1], 'status', 'queued', 'owner', '', 'lock_token', '', 'updated_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return {1, token}
