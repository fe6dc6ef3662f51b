-- Reserve a weighted call in the minute, hour and day windows at once, unless
-- it would exceed a window's limit or the pool's share of it. The windows are
-- those of Valkey's clock (read by the caller), so workers on several hosts agree.
--   KEYS: per window (minute, hour, day), the counter of all calls, then the pool's
--   (ss:lim:{<upstream>}:<all|pool>:<seconds>:<window>: one hash tag, one slot)
--   ARGV[1] weight, ARGV[2] now (unix seconds), ARGV[3..5] limits per minute/hour/day,
--   ARGV[6] share of each limit the pool may use
-- Returns 0 when reserved, else the seconds until the fullest window rolls over.
local weight = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local share = tonumber(ARGV[6])
local sizes = {60, 3600, 86400}
local wait = 0
for i, size in ipairs(sizes) do
    local limit = tonumber(ARGV[2 + i])
    local used = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local pool_used = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    if used + weight > limit or pool_used + weight > limit * share then
        wait = math.max(wait, size - (now % size))
    end
end
if wait > 0 then
    return wait
end
for i, size in ipairs(sizes) do
    for _, key in ipairs({KEYS[2 * i - 1], KEYS[2 * i]}) do
        redis.call('INCRBYFLOAT', key, weight)
        redis.call('EXPIRE', key, size * 2)
    end
end
return 0
