-- A worker's heartbeat: A.worker finished a pass at A.at_ms. The other workers' entries silent for more
-- than A.forget_ms go: a worker killed outright never says goodbye, so the live ones forget it.
local k = key('workers')
redis.call('HSET', k, A.worker, tostring(A.at_ms))
local beats = redis.call('HGETALL', k)
for i = 1, #beats, 2 do
  local ms = tonumber(beats[i + 1])
  if beats[i] ~= A.worker and (ms == nil or A.at_ms - ms > A.forget_ms) then
    redis.call('HDEL', k, beats[i])
  end
end
return 0
