-- Take a lease in a sorted set of (token, expiry) unless the set is full, the
-- pool has its share, a cool-down is running or the daily cap is reached.
--   KEYS[1] the leases, KEYS[2] the cool-down key, KEYS[3] today's request counter
--   ARGV[1] lease token ("<pool>:<random>"), ARGV[2] slots, ARGV[3] lease ms,
--   ARGV[4] daily cap (0: none), ARGV[5] pool, ARGV[6] share of the slots the pool may use
-- Returns 0 when taken, else milliseconds to wait.
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local cooldown = redis.call('PTTL', KEYS[2])
if cooldown > 0 then
    return cooldown
end
local day_used = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[4]) > 0 and day_used >= tonumber(ARGV[4]) then
    return 86400000 - (now_ms % 86400000)
end
local limit = tonumber(ARGV[2])
local pool_count = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(member, 1, string.len(ARGV[5]) + 1) == ARGV[5] .. ':' then
        pool_count = pool_count + 1
    end
end
local pool_limit = math.max(1, math.floor(limit * tonumber(ARGV[6])))
if redis.call('ZCARD', KEYS[1]) >= limit or pool_count >= pool_limit then
    return 200
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 2 * 86400)
return 0
