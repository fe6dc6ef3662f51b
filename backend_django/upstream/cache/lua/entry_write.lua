-- Store entries (store.write) and make the entries derived from them follow.
--   KEYS: per entry, its hash, its remembered-error key and its dependents' set
--   ARGV[1] now (unix seconds, text), ARGV[2] entry key prefix, ARGV[3] dependents
--   set prefix, ARGV[4] how many entries; then per entry: unit, body, content
--   type, ETag, fetched at, fresh until, stale until, encoding ("" = gzip), the
--   upstream's validator ("" = none), TTL (whole seconds), how many inputs, then
--   the input units.
-- An entry with inputs (a derived kind's) is registered in each input's set
-- ``<dependents prefix><input>``, kept as long as the longest-lived dependent.
-- An entry rewritten with another ETag than it had (or written where none
-- was) makes its dependents stale now, and theirs in turn: their fresh-until
-- drops to ARGV[1], so they are served stale and refreshed (recomputed).
-- Returns how many dependents were marked stale.
local now = ARGV[1]
local entry_prefix, dep_prefix = ARGV[2], ARGV[3]
local count = tonumber(ARGV[4])
local at = 5
local changed = {}
for k = 1, count do
    local key, negative, dependents = KEYS[3 * k - 2], KEYS[3 * k - 1], KEYS[3 * k]
    local unit, body, ctype, etag = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
    local fetched, fresh, stale, encoding = ARGV[at + 4], ARGV[at + 5], ARGV[at + 6], ARGV[at + 7]
    local validator = ARGV[at + 8]
    local ttl, inputs = tonumber(ARGV[at + 9]), tonumber(ARGV[at + 10])
    at = at + 11
    local old = redis.call('HGET', key, 'e')
    redis.call('DEL', key)
    redis.call('HSET', key, 'b', body, 't', ctype, 'e', etag, 'f', fetched, 'fu', fresh, 'su', stale)
    if encoding ~= '' then
        redis.call('HSET', key, 'z', encoding)
    end
    if validator ~= '' then
        redis.call('HSET', key, 'v', validator)
    end
    redis.call('EXPIRE', key, ttl)
    redis.call('DEL', negative)
    for j = 0, inputs - 1 do
        local set = dep_prefix .. ARGV[at + j]
        redis.call('SADD', set, unit)
        if redis.call('TTL', set) < ttl then
            redis.call('EXPIRE', set, ttl)
        end
    end
    at = at + inputs
    if old ~= etag then
        changed[#changed + 1] = dependents
    end
end
-- Dependents, and theirs (a derived kind of a derived kind), each marked once.
local marked, seen = 0, {}
local queue = changed
while #queue > 0 do
    local next_queue = {}
    for _, set in ipairs(queue) do
        for _, dependent in ipairs(redis.call('SMEMBERS', set)) do
            if not seen[dependent] then
                seen[dependent] = true
                local dependent_key = entry_prefix .. dependent
                local fresh = redis.call('HGET', dependent_key, 'fu')
                if fresh and tonumber(fresh) > tonumber(now) then
                    redis.call('HSET', dependent_key, 'fu', now)
                    marked = marked + 1
                end
                next_queue[#next_queue + 1] = dep_prefix .. dependent
            end
        end
    end
    queue = next_queue
end
return marked
