-- A cache hit in one command: the entry, the client's request counter (a
-- fixed window that expires with its period) and the kind's request counter.
-- When the caller already holds the body with ETag ARGV[2] (its process-local
-- copy), only the freshness fields come back instead of the whole body.
--   KEYS[1] entry hash, KEYS[2] client counter, KEYS[3] kind statistics
--   ARGV[1] counter TTL, ARGV[2] ETag of the caller's copy (or ""), ARGV[3] statistics TTL
-- Returns {client count, flat fields of the entry (empty when missing)}.
local meta = redis.call('HMGET', KEYS[1], 'e', 'fu', 'su')
local count = redis.call('INCR', KEYS[2])
if count == 1 then
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
end
redis.call('HINCRBY', KEYS[3], 'requests', 1)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
if not meta[1] then
    return {count, {}}
end
if meta[1] == ARGV[2] then
    return {count, {'e', meta[1], 'fu', meta[2], 'su', meta[3]}}
end
return {count, redis.call('HGETALL', KEYS[1])}
