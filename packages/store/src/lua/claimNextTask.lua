-- Claims the oldest pending task on the backlog for an agent, in one step: the lock-free fast path for
-- claimers that take any task. Stale ids (deleted or no longer pending) are dropped from the backlog on
-- the way. Returns the task id, or false when the backlog holds nothing claimable.
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
    write_task_state(task, 'assigned', A.agent_id)
    A.envelope.task_id = task_id
    push_message(A.agent_id, cjson.encode(A.envelope), false)
    emit('task_assigned', {
      task_id = task_id, agent_id = A.agent_id, old_state = 'pending', new_state = 'assigned',
      message = 'Claimed from the backlog by ' .. agent.name,
    })
    return task_id
  end
end
