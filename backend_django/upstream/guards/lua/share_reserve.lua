-- Charge a client's share of an upstream's hourly and daily budget, unless it
-- would go over the share in either window. Fixed windows on Valkey's clock,
-- aligned like lua/budget_reserve.lua's.
--   ARGV[1] key prefix (ss:share:<upstream>:<client>:), ARGV[2] weight,
--   ARGV[3] the client's limit per hour, ARGV[4] per day (0: no such window)
-- Returns 0 when charged, else the seconds until the fuller window rolls over.
local now = tonumber(redis.call('TIME')[1])
local weight = tonumber(ARGV[2])
local sizes = {3600, 86400}
local wait = 0
local keys = {}
for i, size in ipairs(sizes) do
    local limit = tonumber(ARGV[2 + i])
    if limit > 0 then
        local key = ARGV[1] .. size .. ':' .. math.floor(now / size)
        local used = tonumber(redis.call('GET', key) or '0')
        if used + weight > limit then
            wait = math.max(wait, size - (now % size))
        end
        keys[#keys + 1] = {key, size}
    end
end
if wait > 0 then
    return wait
end
for _, item in ipairs(keys) do
    redis.call('INCRBYFLOAT', item[1], weight)
    redis.call('EXPIRE', item[1], item[2] * 2)
end
return 0
