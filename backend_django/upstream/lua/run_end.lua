-- A run ended (succeeded, failed, or went back to the queue): its job leaves
-- the running set, unless another run has taken the job over meanwhile.
--   KEYS[1] the job record, KEYS[2] the running jobs
--   ARGV[1] job id, ARGV[2] the task id of the run that ended
if redis.call('HGET', KEYS[1], 'owner') == ARGV[2] or redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 1
end
return 0
