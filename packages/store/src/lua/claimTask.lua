-- Claims one backlog task for an agent. Exactly one of any number of concurrent claimers wins; a failed
-- claim (unknown agent, task gone) leaves the backlog as it was.
local agent = load_agent(A.agent_id)
require_live(agent, 'claim work')
if redis.call('EXISTS', key('task', A.task_id)) == 0 then
  fail('TASK_NOT_FOUND', 'Task not found: ' .. A.task_id, { id = A.task_id })
end
if redis.call('LREM', key('backlog'), 1, A.task_id) == 0 then
  fail('NOT_IN_BACKLOG', 'Task ' .. A.task_id .. ' is not in the backlog', { id = A.task_id })
end
local task = hgetall(key('task', A.task_id))
write_task_state(task, 'assigned', A.agent_id)
push_message(A.agent_id, A.message, false)
emit('task_assigned', {
  task_id = A.task_id, agent_id = A.agent_id, old_state = 'pending', new_state = 'assigned',
  message = 'Claimed from the backlog by ' .. agent.name,
})
return { task_reply(task), agent.name }
