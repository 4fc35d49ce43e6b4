-- Hands the whole backlog (up to the number of message slots the caller prepared) to one agent.
-- A.messages holds one prepared task_assign message (without its task id) per task it may assign.
local agent = load_agent(A.agent_id)
require_live(agent, 'take work')
local assigned = {}
for _, envelope in ipairs(A.messages) do
  local task_id = redis.call('LPOP', key('backlog'))
  if not task_id then break end
  local task = hgetall(key('task', task_id))
  if task.id and task.state == 'pending' then
    hand_over(task, agent, envelope, 'Assigned from the backlog to ' .. agent.name)
    assigned[#assigned + 1] = task_id
  end
end
return assigned
