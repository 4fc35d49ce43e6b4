-- Stores a new mission with its work items, indexes it as active and due now, in one step (a mission
-- whose compilation failed was never passed here, so nothing half-built is ever stored).
local mid = A.id
local mk = function(sub) return key('mission', mid .. sub) end
if redis.call('EXISTS', key('mission', mid)) == 1 then
  fail('INVALID_INPUT', 'Mission already exists: ' .. mid, { id = mid })
end
redis.call('SET', key('mission', mid), A.mission)
for _, item in ipairs(A.items or {}) do redis.call('HSET', mk(':work'), item.id, item.json) end
redis.call('SADD', key('missions'), mid)
redis.call('SADD', key('missions:active'), mid)
redis.call('ZADD', key('missions:wake'), A.wake, mid)
for _, text in ipairs(A.events or {}) do
  redis.call('LPUSH', mk(':events'), '[' .. NOW .. '] ' .. text)
  emit('mission_event', { mission_id = mid, message = text })
end
redis.call('LTRIM', mk(':events'), 0, A.events_max - 1)
return 1
