-- Hands a dead agent's queued and assigned work to the backlog (A.to_backlog) or to another agent
-- (A.target). Work the destination cannot hold (a question, for the backlog) stays in the dead
-- agent's inbox: nothing is dropped. A.envelopes are prepared task_assign messages for assigned tasks
-- that have no message left in the queues. Returns { reclaimed, kept }.
local dead = load_agent(A.id)
if not TERMINAL_AGENT[dead.state] then
  fail('INVALID_TRANSITION', 'Agent ' .. dead.name .. ' is ' .. dead.state .. '; only stopped agents are reclaimed',
    { from = dead.state, agent = dead.name })
end
if present(A.target) then
  local target = load_agent(A.target)
  if TERMINAL_AGENT[target.state] then
    fail('INVALID_TRANSITION', 'Agent ' .. target.name .. ' is ' .. target.state .. ' and cannot take work',
      { from = target.state, agent = target.name })
  end
end

local reclaimed, handled, kept = 0, {}, {}

local function requeue_task(task)
  write_task_state(task, 'pending', nil)
  clear_task_field(task, 'started_at')
  if not redis.call('LPOS', key('backlog'), task.id) then redis.call('RPUSH', key('backlog'), task.id) end
  emit('task_requeued', { task_id = task.id, message = 'Reclaimed from ' .. dead.name .. ' to the backlog' })
end

local function move(message, raw, urgent)
  message.to = A.target
  push_message(A.target, cjson.encode(message), urgent)
end

for _, queue in ipairs({ 'inflight', 'urgent', 'inbox' }) do
  local qk = key(queue, A.id)
  for _, raw in ipairs(redis.call('LRANGE', qk, 0, -1)) do
    local ok, message = pcall(cjson.decode, raw)
    local urgent = ok and message.urgent == true
    local task = nil
    if ok and message.type == 'task_assign' then
      task = hgetall(key('task', tostring(message.task_id)))
      if not task.id or TERMINAL_TASK[task.state] then task = nil end
    end
    if task then
      handled[task.id] = true
      reclaimed = reclaimed + 1
      if A.to_backlog then
        requeue_task(task)
      else
        write_task_state(task, 'assigned', A.target)
        clear_task_field(task, 'started_at')
        move(message, raw, urgent)
      end
    elseif ok and message.type == 'task' then
      reclaimed = reclaimed + 1
      if A.to_backlog then
        create_task({ id = message.id, description = message.description, state = 'pending', tags_json = '["reclaimed"]' }, nil)
        redis.call('RPUSH', key('backlog'), message.id)
      else
        move(message, raw, urgent)
      end
    elseif ok and not A.to_backlog and message.type ~= 'task_assign' then
      reclaimed = reclaimed + 1
      move(message, raw, urgent)
    else
      kept[#kept + 1] = raw
    end
  end
  redis.call('DEL', qk)
end
for _, raw in ipairs(kept) do redis.call('RPUSH', key('inbox', A.id), raw) end

local slot = 1
for _, task_id in ipairs(redis.call('SMEMBERS', key('tasks:agent', A.id))) do
  local task = hgetall(key('task', task_id))
  if task.id and not handled[task_id] and (task.state == 'assigned' or task.state == 'running') then
    reclaimed = reclaimed + 1
    if A.to_backlog then
      requeue_task(task)
    else
      write_task_state(task, 'assigned', A.target)
      clear_task_field(task, 'started_at')
      local envelope = A.envelopes[slot]
      slot = slot + 1
      if envelope then
        envelope.task_id = task_id
        push_message(A.target, cjson.encode(envelope), false)
      end
    end
  end
end
redis.call('HDEL', key('agent', A.id), 'current_task')
if reclaimed > 0 then
  activity(A.id, 'Reclaimed ' .. reclaimed .. ' item(s) ' .. (A.to_backlog and 'to the backlog' or ('to ' .. A.target)))
end
return { reclaimed, #kept }
