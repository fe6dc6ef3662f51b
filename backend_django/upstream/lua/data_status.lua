-- Freshness and pending job of many units in one command (a pipeline of two
-- commands per unit costs more to parse than the rest of a plans page).
--   KEYS: pairs of (entry hash, pending mark) per unit
-- Returns three strings per unit: fresh until, stale until, job id ("" when absent).
local out = {}
for i = 1, #KEYS, 2 do
    local times = redis.call('HMGET', KEYS[i], 'fu', 'su')
    out[#out + 1] = times[1] or ''
    out[#out + 1] = times[2] or ''
    out[#out + 1] = redis.call('GET', KEYS[i + 1]) or ''
end
return out
