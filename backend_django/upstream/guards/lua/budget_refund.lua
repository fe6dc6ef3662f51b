-- Give back part of a reserved weight (a failed call: the upstream counted less
-- than was reserved) in the minute, hour and day windows of now, never below 0.
--   KEYS: the counters of budget_reserve.lua for now (all and the pool, per window)
--   ARGV[1] amount
local amount = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
    local used = tonumber(redis.call('GET', key) or '0')
    if used > 0 then
        local left = math.max(0, used - amount)
        redis.call('SET', key, tostring(left), 'KEEPTTL')
    end
end
return 0
