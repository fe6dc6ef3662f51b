-- Take the single-flight claim of some units for a new job, unless it changed
-- since the caller read it (records.job_start): of N concurrent misses, one
-- takes it and the others join that job.
--   KEYS[1] the claim (ss:jk:<kind>:<digest>)
--   ARGV[1] the new job's id (its record is written already), ARGV[2] the job
--   id the caller saw in the claim ("" for none, or a job whose record is
--   gone), ARGV[3] claim TTL
-- Returns {1, new id} when taken, else {0, the id the claim names now ("" for none)}.
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[2] then
    return {0, current}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
return {1, ARGV[1]}
