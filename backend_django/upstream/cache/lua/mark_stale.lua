-- A derived entry whose input changed: stale from now (its fresh-until drops
-- to ARGV[1]), so it is served stale and recomputed.
--   KEYS[1] the entry's hash; ARGV[1] now (unix seconds, text)
-- Returns 1 when it was fresh (and is marked now), else 0.
local fresh = redis.call('HGET', KEYS[1], 'fu')
if fresh and tonumber(fresh) > tonumber(ARGV[1]) then
    redis.call('HSET', KEYS[1], 'fu', ARGV[1])
    return 1
end
return 0
