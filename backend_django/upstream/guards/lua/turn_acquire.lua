-- Take the turn of a one-at-a-time upstream: free when the key is absent.
--   KEYS[1] the turn key
--   ARGV[1] our token, ARGV[2] lease ms (longer than any request can take),
--   ARGV[3] the pause after an answer, ms
-- Returns 0 when taken, else milliseconds to wait: what is left of the pause
-- after the last answer, or (while a request is out) the pause itself, the
-- soonest the turn can be free again.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then
    return 0
end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then
    return 1
end
if redis.call('GET', KEYS[1]) ~= 'pause' then
    return math.min(left, math.max(1, tonumber(ARGV[3])))
end
return left
