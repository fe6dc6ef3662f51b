-- Store one entry (store.write), replacing what the key held.
--   KEYS[1] the entry's hash
--   ARGV[1] body, ARGV[2] content type, ARGV[3] ETag, ARGV[4] fetched at,
--   ARGV[5] fresh until, ARGV[6] stale until, ARGV[7] encoding ("" = gzip),
--   ARGV[8] the upstream's validator ("" = none), ARGV[9] TTL (whole seconds)
-- Returns 1 when the ETag changed (or nothing was stored before): the caller
-- then marks the entries derived from it stale.
local key = KEYS[1]
local old = redis.call('HGET', key, 'e')
redis.call('DEL', key)
redis.call('HSET', key, 'b', ARGV[1], 't', ARGV[2], 'e', ARGV[3], 'f', ARGV[4], 'fu', ARGV[5], 'su', ARGV[6])
if ARGV[7] ~= '' then
    redis.call('HSET', key, 'z', ARGV[7])
end
if ARGV[8] ~= '' then
    redis.call('HSET', key, 'v', ARGV[8])
end
redis.call('EXPIRE', key, tonumber(ARGV[9]))
if old ~= ARGV[3] then
    return 1
end
return 0
