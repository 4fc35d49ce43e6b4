-- Hands the whole backlog (up to the number of message slots the caller prepared) to one agent.
-- A.messages is a list of { id, json-prefix } pairs: the caller built the messages, the script names the task.
local agent = load_agent(A.agent_id)
require_live(agent, 'take work')
local assigned = {}
for _, envelope in ipairs(A.messages) do
  local task_id = redis.call('LPOP', key('backlog'))
  if not task_id then break end
  local task = hgetall(key('task', task_id))
  if task.id and task.state == 'pending' then
    write_task_state(task, 'assigned', A.agent_id)
    envelope.task_id = task_id
    push_message(A.agent_id, cjson.encode(envelope), false)
    emit('task_assigned', {
      task_id = task_id, agent_id = A.agent_id, old_state = 'pending', new_state = 'assigned',
      message = 'Assigned from the backlog to ' .. agent.name,
    })
    assigned[#assigned + 1] = task_id
  end
end
return assigned
