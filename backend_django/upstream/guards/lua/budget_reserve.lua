-- Reserve a weighted call in the minute, hour and day windows at once, unless
-- it would exceed a window's limit or the pool's share of it. Counters use
-- Valkey's clock, so workers on several hosts agree.
--   ARGV[1] weight, ARGV[2] key prefix, ARGV[3..5] limits per minute/hour/day,
--   ARGV[6] pool ("interactive" or "warm"), ARGV[7] share of each limit the pool may use
-- Returns 0 when reserved, else the seconds until the fullest window rolls over.
local now = tonumber(redis.call('TIME')[1])
local weight = tonumber(ARGV[1])
local prefix = ARGV[2]
local pool = ARGV[6]
local share = tonumber(ARGV[7])
local sizes = {60, 3600, 86400}
local wait = 0
local keys = {}
for i, size in ipairs(sizes) do
    local limit = tonumber(ARGV[2 + i])
    local window = math.floor(now / size)
    local total_key = prefix .. 'all:' .. size .. ':' .. window
    local pool_key = prefix .. pool .. ':' .. size .. ':' .. window
    local used = tonumber(redis.call('GET', total_key) or '0')
    local pool_used = tonumber(redis.call('GET', pool_key) or '0')
    if used + weight > limit or pool_used + weight > limit * share then
        wait = math.max(wait, size - (now % size))
    end
    keys[#keys + 1] = {total_key, size}
    keys[#keys + 1] = {pool_key, size}
end
if wait > 0 then
    return wait
end
for _, item in ipairs(keys) do
    redis.call('INCRBYFLOAT', item[1], weight)
    redis.call('EXPIRE', item[1], item[2] * 2)
end
return 0
