-- Freshness and pending job of many units in one command (a pipeline of two
-- commands per unit costs more to parse than the rest of a plans page), and
-- the stored bodies of a few more (the facts a plans list shows).
--   KEYS: pairs of (entry hash, pending mark) per unit, then entry hashes
--         whose bodies are wanted
--   ARGV[1]: how many of KEYS are pairs (default: all of them)
-- Returns three strings per unit: fresh until, stale until, job id ("" when
-- absent); then three per body: the body, its encoding, stale until.
local paired = tonumber(ARGV[1] or #KEYS)
local out = {}
for i = 1, paired, 2 do
    local times = redis.call('HMGET', KEYS[i], 'fu', 'su')
    out[#out + 1] = times[1] or ''
    out[#out + 1] = times[2] or ''
    out[#out + 1] = redis.call('GET', KEYS[i + 1]) or ''
end
for i = paired + 1, #KEYS do
    local body = redis.call('HMGET', KEYS[i], 'b', 'z', 'su')
    out[#out + 1] = body[1] or ''
    out[#out + 1] = body[2] or ''
    out[#out + 1] = body[3] or ''
end
return out
