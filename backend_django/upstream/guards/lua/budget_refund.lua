-- Give back part of a reserved weight (a failed call: the upstream counted less
-- than was reserved) in the minute, hour and day windows of now, never below 0.
--   ARGV[1] amount, ARGV[2] key prefix, ARGV[3] pool
local now = tonumber(redis.call('TIME')[1])
local amount = tonumber(ARGV[1])
local prefix = ARGV[2]
for _, size in ipairs({60, 3600, 86400}) do
    local window = math.floor(now / size)
    for _, name in ipairs({'all', ARGV[3]}) do
        local key = prefix .. name .. ':' .. size .. ':' .. window
        local used = tonumber(redis.call('GET', key) or '0')
        if used > 0 then
            local left = math.max(0, used - amount)
            redis.call('SET', key, tostring(left), 'KEEPTTL')
        end
    end
end
return 0
