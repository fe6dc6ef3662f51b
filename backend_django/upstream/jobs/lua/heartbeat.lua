-- A worker's heartbeat: the jobs its process is running are alive now.
-- Only jobs already in the set are touched (ZADD XX), so a job that was
-- reclaimed from a worker thought dead is not claimed back by its heartbeat.
--   KEYS[1] the running jobs (sorted set: job id -> last heartbeat, Valkey clock)
--   ARGV: job ids
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #ARGV do
    redis.call('ZADD', KEYS[1], 'XX', now, ARGV[i])
end
return #ARGV
