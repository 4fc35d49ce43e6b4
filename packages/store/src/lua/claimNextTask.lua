-- Claims the oldest pending task on the backlog for an agent, in one step: the lock-free fast path for
-- claimers that take any task. Stale ids (deleted or no longer pending) are dropped from the backlog on
-- the way. With A.start the claimer starts it at once. Returns { task, agent name }, or false when the
-- backlog holds nothing claimable.
local agent = load_agent(A.agent_id)
if TERMINAL_AGENT[agent.state] then
  fail('INVALID_TRANSITION', 'Agent ' .. agent.name .. ' is ' .. agent.state .. ' and cannot claim work',
    { from = agent.state, agent = agent.name })
end
while true do
  local task_id = redis.call('LPOP', key('backlog'))
  if not task_id then return false end
  local task = hgetall(key('task', task_id))
  if task.id and task.state == 'pending' then
    if A.start then
      -- The claimer works on it right away: no message to itself, the task is running and current.
      write_task_state(task, 'running', A.agent_id)
      redis.call('HSET', key('task', task_id), 'started_at', NOW)
      redis.call('HSET', key('agent', A.agent_id), 'current_task', task_id, 'last_active_at', NOW)
      emit('task_started', {
        task_id = task_id, agent_id = A.agent_id, old_state = 'pending', new_state = 'running',
        message = 'Claimed from the backlog and started by ' .. agent.name,
      })
    else
      write_task_state(task, 'assigned', A.agent_id)
      A.envelope.task_id = task_id
      push_message(A.agent_id, cjson.encode(A.envelope), false)
      emit('task_assigned', {
        task_id = task_id, agent_id = A.agent_id, old_state = 'pending', new_state = 'assigned',
        message = 'Claimed from the backlog by ' .. agent.name,
      })
    end
    return { redis.call('HGETALL', key('task', task_id)), agent.name }
  end
end
