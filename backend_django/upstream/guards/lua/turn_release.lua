-- End our turn: while the key still holds our token, replace it with a pause
-- that keeps everyone out for ARGV[2] ms after the answer came.
--   KEYS[1] the turn key
--   ARGV[1] our token, ARGV[2] pause ms
-- Returns 1 when the turn was ours, 0 when our lease had already ended.
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], 'pause', 'PX', math.max(1, tonumber(ARGV[2])))
    return 1
end
return 0
