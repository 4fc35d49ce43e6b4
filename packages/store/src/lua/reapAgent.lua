-- Recovers an agent whose lease ran out: it becomes stopped, everything it had taken in flight goes back
-- to the front of its queues, and its running task goes back to assigned (still its own, so a restart
-- or a reclaim picks it up). Returns { recovered (0|1), messages returned, tasks requeued }.
local agent = hgetall(key('agent', A.id))
if not agent.id then
  redis.call('ZREM', key('leases'), A.id)
  return { 0, 0, 0 }
end
local expiry = redis.call('ZSCORE', key('leases'), A.id)
if expiry and tonumber(expiry) > NOW_MS then return { 0, 0, 0 } end
redis.call('ZREM', key('leases'), A.id)

local inflight = key('inflight', A.id)
local entries = redis.call('LRANGE', inflight, 0, -1)
for i = #entries, 1, -1 do
  local ok, message = pcall(cjson.decode, entries[i])
  local queue = (ok and message.urgent == true) and 'urgent' or 'inbox'
  redis.call('LPUSH', key(queue, A.id), entries[i])
end
redis.call('DEL', inflight)

local requeued = 0
for _, task_id in ipairs(redis.call('SMEMBERS', key('tasks:agent', A.id))) do
  local task = hgetall(key('task', task_id))
  if task.id and task.state == 'running' then
    write_task_state(task, 'assigned', A.id)
    clear_task_field(task, 'started_at')
    requeued = requeued + 1
  end
end

local was = agent.state
if TERMINAL_AGENT[was] then return { 0, #entries, requeued } end
redis.call('HSET', key('agent', A.id), 'state', 'stopped')
redis.call('HDEL', key('agent', A.id), 'current_task')
activity(A.id, 'Recovered: lease expired')
emit('agent_recovered', {
  agent_id = A.id, old_state = was, new_state = 'stopped',
  message = 'Lease expired; ' .. #entries .. ' in-flight message(s) returned, ' .. requeued .. ' task(s) requeued',
})
return { 1, #entries, requeued }
