-- One step of a mission tick (or of an operator's action), applied atomically under the mission's lease:
-- refused with LEASE_LOST unless A.token is the fencing token still holding the lease, so a tick that
-- lost its lease writes nothing. Records arrive as JSON strings written whole; tasks are created
-- (assigned, with their task_assign message) and cancelled in the same step as the items that own them.
--   A.mission: MissionRun JSON; A.active: true/false keeps the active index in step;
--   A.items / A.watches / A.notes: {id, json}; A.notes_processed: ids of notes now processed;
--   A.events: texts for the mission's log;
--   A.wake: next wake (epoch ms), -1 to unschedule; A.watch_due: {id, at} with at = -1 to unschedule;
--   A.create_tasks: {task = {id, description, tags_json}, assign_to, message} (no assign_to: backlog);
--   A.cancel_tasks: {id, reason}; A.live_remove: task ids whose end has been processed;
--   A.conductor: messages (JSON) for the conductor's inbox; A.retire_help: withdraw pending help requests.
local mid = A.id
local mk = function(sub) return key('mission', mid .. sub) end
if redis.call('GET', mk(':lease')) ~= tostring(A.token) then
  fail('LEASE_LOST', 'Lease on mission ' .. mid .. ' lost (token ' .. tostring(A.token) .. ')',
    { id = mid, token = A.token })
end
if redis.call('EXISTS', key('mission', mid)) == 0 then
  fail('MISSION_NOT_FOUND', 'Mission not found: ' .. mid, { id = mid })
end
for _, t in ipairs(A.create_tasks or {}) do
  if present(t.assign_to) then ensure_recipient(t.assign_to) end
end

if A.mission then redis.call('SET', key('mission', mid), A.mission) end
if A.active == true then redis.call('SADD', key('missions:active'), mid) end
if A.active == false then redis.call('SREM', key('missions:active'), mid) end
for _, item in ipairs(A.items or {}) do redis.call('HSET', mk(':work'), item.id, item.json) end
for _, watch in ipairs(A.watches or {}) do redis.call('HSET', mk(':watch'), watch.id, watch.json) end
for _, note in ipairs(A.notes or {}) do redis.call('HSET', mk(':control'), note.id, note.json) end

if A.wake ~= nil and A.wake ~= NULL then
  if A.wake < 0 then redis.call('ZREM', key('missions:wake'), mid)
  else redis.call('ZADD', key('missions:wake'), A.wake, mid) end
end
for _, id in ipairs(A.notes_processed or {}) do redis.call('SREM', mk(':notes-pending'), id) end
-- A note queued while this step ran (and so not seen by it) keeps the mission due.
if redis.call('SCARD', mk(':notes-pending')) > 0 then
  redis.call('ZADD', key('missions:wake'), 'LT', NOW_MS, mid)
end
for _, due in ipairs(A.watch_due or {}) do
  local member = mid .. '/' .. due.id
  if due.at < 0 then redis.call('ZREM', key('missions:watch-due'), member)
  else redis.call('ZADD', key('missions:watch-due'), due.at, member) end
end

for _, c in ipairs(A.cancel_tasks or {}) do
  local task = hgetall(key('task', c.id))
  if task.id and not TERMINAL_TASK[task.state] then
    local old = task.state
    local assignee = task.assigned_to
    write_task_state(task, 'cancelled', assignee, { completed_at = NOW, result = c.reason })
    if present(assignee) and assignee ~= CONDUCTOR then
      local ak = key('agent', assignee)
      if redis.call('HGET', ak, 'current_task') == c.id then redis.call('HDEL', ak, 'current_task') end
    end
    emit('task_cancelled', { task_id = c.id, agent_id = assignee, old_state = old, new_state = 'cancelled',
      message = c.reason })
  end
  redis.call('SREM', mk(':tasks'), c.id)
end
for _, id in ipairs(A.live_remove or {}) do redis.call('SREM', mk(':tasks'), id) end

local created = 0
for _, t in ipairs(A.create_tasks or {}) do
  -- With nobody to give it to, the task waits on the backlog for any agent to claim.
  t.task.state = present(t.assign_to) and 'assigned' or 'pending'
  create_task(t.task, t.assign_to)
  if not present(t.assign_to) then redis.call('RPUSH', key('backlog'), t.task.id) end
  redis.call('SADD', mk(':tasks'), t.task.id)
  emit('task_created', { task_id = t.task.id, new_state = t.task.state, message = 'Task created' })
  if present(t.assign_to) then
    push_message(t.assign_to, t.message, false)
    emit('task_assigned', { task_id = t.task.id, agent_id = t.assign_to, new_state = 'assigned',
      message = 'Task assigned' })
  end
  created = created + 1
end

if A.retire_help then
  local inbox = key('inbox', CONDUCTOR)
  local marker = '[Mission Help Needed] Mission ' .. mid
  for _, raw in ipairs(redis.call('LRANGE', inbox, 0, -1)) do
    if string.find(raw, marker, 1, true) then redis.call('LREM', inbox, 1, raw) end
  end
end
for _, raw in ipairs(A.conductor or {}) do push_message(CONDUCTOR, raw, false) end

local events = A.events or {}
for _, text in ipairs(events) do
  redis.call('LPUSH', mk(':events'), '[' .. NOW .. '] ' .. text)
  emit('mission_event', { mission_id = mid, message = text })
end
if #events > 0 then redis.call('LTRIM', mk(':events'), 0, A.events_max - 1) end
return created
