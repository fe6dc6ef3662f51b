-- One upstream's health (a circuit breaker), shared by every worker.
--   KEYS[1] ss:health:<upstream> (hash)
--   ARGV[1] operation: "admit", "ok", "fail" or "release"
--   ARGV[2] key TTL (seconds)
-- admit:   ARGV[3] probe lease (ms), ARGV[4] how soon to look again while the probe is out (ms)
--          -> {1, 0} go ahead; {2, 0} go ahead as the one probe; {0, ms} down, wait ms
-- ok:      (a usable answer, or a definite 4xx: the upstream is answering)
--          -> {1, 0}
-- fail:    ARGV[3] failures that open it, ARGV[4] first cool-off (ms), ARGV[5] longest
--          cool-off (ms), ARGV[6] Retry-After (ms, 0 for none), ARGV[7] open at once
--          ("1": the upstream asked for a long pause), ARGV[8] "1" when this was the probe,
--          ARGV[9] error code, ARGV[10] error message
--          -> {0, ms until the cool-off ends} when down, else {1, 0}
-- release: a probe that sent no request (a budget wait) gives its turn back -> {1, 0}
-- Fields: state ("closed" | "open"), failures (in a row), cool_off (ms), until (ms),
-- probe_until (ms), since (ms, opened at), last_code, last_message, last_failure_at (ms),
-- recovered_at (ms). Valkey's clock (TIME), so workers on several hosts agree.
local key = KEYS[1]
local op = ARGV[1]
local ttl = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function num(field)
    return tonumber(redis.call('HGET', key, field) or '0') or 0
end

if op == 'admit' then
    if redis.call('HGET', key, 'state') ~= 'open' then
        return {1, 0}
    end
    local untl = num('until')
    if now < untl then
        return {0, untl - now}
    end
    local probe_until = num('probe_until')
    if probe_until > now then
        -- The probe is out: look again soon, its answer may close it.
        return {0, math.min(probe_until - now, tonumber(ARGV[4]))}
    end
    redis.call('HSET', key, 'probe_until', now + tonumber(ARGV[3]))
    redis.call('EXPIRE', key, ttl)
    return {2, 0}
end

if op == 'ok' then
    if redis.call('HGET', key, 'state') == 'open' or num('failures') > 0 then
        redis.call('HSET', key, 'state', 'closed', 'failures', 0, 'cool_off', 0, 'until', 0,
            'probe_until', 0, 'recovered_at', now)
        redis.call('EXPIRE', key, ttl)
    end
    return {1, 0}
end

if op == 'release' then
    if redis.call('EXISTS', key) == 1 then
        redis.call('HSET', key, 'probe_until', 0)
    end
    return {1, 0}
end

-- fail
local threshold = tonumber(ARGV[3])
local base = tonumber(ARGV[4])
local longest = tonumber(ARGV[5])
local retry_after = tonumber(ARGV[6])
local at_once = ARGV[7] == '1'
local probe = ARGV[8] == '1'
local failures = num('failures') + 1
redis.call('HSET', key, 'failures', failures, 'last_code', ARGV[9], 'last_message', ARGV[10],
    'last_failure_at', now)
local open = redis.call('HGET', key, 'state') == 'open'
local cool_off = num('cool_off')
if open and probe then
    -- The probe failed: down again, for longer.
    cool_off = math.min(longest, math.max(base, cool_off * 2))
elseif open then
    -- A request sent before it opened: it changes nothing but the last error.
    redis.call('EXPIRE', key, ttl)
    return {0, math.max(0, num('until') - now)}
elseif failures >= threshold or at_once then
    cool_off = base
    redis.call('HSET', key, 'state', 'open', 'since', now)
else
    redis.call('EXPIRE', key, ttl)
    return {1, 0}
end
local wait = math.max(cool_off, retry_after)
redis.call('HSET', key, 'cool_off', cool_off, 'until', now + wait, 'probe_until', 0)
redis.call('EXPIRE', key, ttl)
return {0, wait}
