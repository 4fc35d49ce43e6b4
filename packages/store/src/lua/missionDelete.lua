-- Deletes a mission and everything stored under it, and takes it out of every index. Only completed or
-- failed missions unless A.force. Its tasks stay: they are ordinary tasks with their own history.
local mid = A.id
local mk = function(sub) return key('mission', mid .. sub) end
local raw = redis.call('GET', key('mission', mid))
if not raw then fail('MISSION_NOT_FOUND', 'Mission not found: ' .. mid, { id = mid }) end
local state = cjson.decode(raw).state
if not A.force and state ~= 'completed' and state ~= 'failed' then
  fail('INVALID_TRANSITION', 'Mission ' .. mid .. ' is ' .. state ..
    '; only completed or failed missions can be deleted (use force to delete it anyway)',
    { id = mid, state = state })
end
for _, wid in ipairs(redis.call('HKEYS', mk(':watch'))) do
  redis.call('ZREM', key('missions:watch-due'), mid .. '/' .. wid)
end
redis.call('DEL', key('mission', mid), mk(':work'), mk(':watch'), mk(':control'), mk(':events'),
  mk(':lease'), mk(':fence'), mk(':tasks'), mk(':notes-pending'))
redis.call('SREM', key('missions'), mid)
redis.call('SREM', key('missions:active'), mid)
redis.call('ZREM', key('missions:wake'), mid)
emit('mission_state_changed', { mission_id = mid, old_state = state, message = 'Mission deleted' })
return state
