-- A queued job past its retry time by the grace: its task message was
-- probably held (as a countdown) by a worker that died. Claim sending it
-- again, once per grace period.
--   KEYS[1] the due jobs (sorted set: job id -> when due, Valkey's clock)
--   ARGV[1] job id, ARGV[2] the grace (seconds)
-- Returns 1 when the caller should send the task again (and renew its claim
-- and pending marks), else 0.
local now = tonumber(redis.call('TIME')[1])
local due = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if now - due < tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
