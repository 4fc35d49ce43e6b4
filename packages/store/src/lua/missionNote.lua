-- Queues an operator note for the mission's next tick and wakes the mission now. With A.retire_help, the
-- conductor's pending help requests about this mission are withdrawn (the operator has acted).
local mid = A.id
local mk = function(sub) return key('mission', mid .. sub) end
if redis.call('EXISTS', key('mission', mid)) == 0 then
  fail('MISSION_NOT_FOUND', 'Mission not found: ' .. mid, { id = mid })
end
redis.call('HSET', mk(':control'), A.note.id, A.note.json)
redis.call('SADD', mk(':notes-pending'), A.note.id)
redis.call('ZADD', key('missions:wake'), 'LT', NOW_MS, mid)
redis.call('LPUSH', mk(':events'), '[' .. NOW .. '] ' .. A.event)
redis.call('LTRIM', mk(':events'), 0, A.events_max - 1)
emit('mission_event', { mission_id = mid, message = A.event })
local retired = 0
if A.retire_help then
  local inbox = key('inbox', CONDUCTOR)
  local marker = '[Mission Help Needed] Mission ' .. mid
  for _, raw in ipairs(redis.call('LRANGE', inbox, 0, -1)) do
    if string.find(raw, marker, 1, true) then retired = retired + redis.call('LREM', inbox, 1, raw) end
  end
end
return retired
