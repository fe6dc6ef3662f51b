-- Charge a client's share of an upstream's hourly and daily budget, unless it
-- would go over the share in either window. Fixed windows on Valkey's clock
-- (read by the caller), aligned like lua/budget_reserve.lua's.
--   KEYS: the client's counter in each window it has a limit in
--   (ss:share:{<upstream>:<client>}:<seconds>:<window>: one hash tag, one slot)
--   ARGV[1] weight, ARGV[2] now (unix seconds), then per key: the window's
--   length (seconds), the client's limit in it
-- Returns 0 when charged, else the seconds until the fuller window rolls over.
local weight = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
    local size, limit = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
    local used = tonumber(redis.call('GET', key) or '0')
    if used + weight > limit then
        wait = math.max(wait, size - (now % size))
    end
end
if wait > 0 then
    return wait
end
for i, key in ipairs(KEYS) do
    redis.call('INCRBYFLOAT', key, weight)
    redis.call('EXPIRE', key, tonumber(ARGV[1 + 2 * i]) * 2)
end
return 0
