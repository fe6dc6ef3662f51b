-- Write fields of a job that has not ended: a task delivered twice must not
-- move a finished job back to "running".
--   KEYS[1] the job record, KEYS[2..] its single-flight claim and its units' pending marks
--   (on a single node; on a cluster, where they live on other slots, only KEYS[1]
--   is passed and records._update releases or holds them key by key)
--   ARGV[1] record TTL, ARGV[2] job id,
--   ARGV[3] "finish": delete KEYS[2..] where they still name this job;
--           "hold": keep KEYS[2..] for ARGV[4] more seconds (the job waits to run again);
--           "": leave them
--   ARGV[5..] field, value pairs
-- Returns 1 when written, 0 when the job had ended (or is gone).
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'succeeded' or status == 'failed' then
    return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
if ARGV[3] == 'finish' then
    for i = 2, #KEYS do
        if redis.call('GET', KEYS[i]) == ARGV[2] then
            redis.call('DEL', KEYS[i])
        end
    end
elseif ARGV[3] == 'hold' then
    for i = 2, #KEYS do
        redis.call('EXPIRE', KEYS[i], tonumber(ARGV[4]))
    end
end
return 1
