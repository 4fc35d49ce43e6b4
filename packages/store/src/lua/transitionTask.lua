-- Moves a task to A.to if its state is one of A.from, keeping indexes, the assignee's record and the
-- backlog in step:
--   A.assign_to + A.message: (re)assign and queue the task_assign message;
--   A.to_backlog: unassign and queue the task on the backlog;
--   A.result: the result or error text; A.agent_effect: 'start' | 'finish';
--   A.claim_next: once done, the assignee claims and starts the oldest backlog task in the same step.
-- Returns { task, next task or false }.
local task = load_task(A.id)
if task.state == 'pending' and TERMINAL_TASK[A.to] and not contains(A.from, 'pending') then
  fail('INVALID_TRANSITION', 'Task ' .. A.id .. ' is in the backlog, so it cannot become ' .. A.to ..
    ': claim it for an agent first, or take it off the backlog', { from = task.state, to = A.to, id = A.id })
end
if not contains(A.from, task.state) then
  fail('INVALID_TRANSITION', 'Task ' .. A.id .. ' is ' .. task.state .. ' and cannot become ' .. A.to,
    { from = task.state, to = A.to, id = A.id })
end
if present(A.assign_to) then ensure_recipient(A.assign_to) end
-- A.by, the acting agent: the task must still be its own, so a late acknowledgement from an agent whose
-- lease lapsed cannot end or undo the run of the task's next holder; and to start or finish it, the agent
-- must still be live (giving it back, to assigned or the backlog, is cleanup a stopped agent may do).
if present(A.by) then
  local agent = load_agent(A.by)
  local giving_back = A.to == 'assigned' or A.to == 'pending'
  if TERMINAL_AGENT[agent.state] and not giving_back then
    fail('INVALID_TRANSITION', 'Agent ' .. agent.name .. ' is ' .. agent.state ..
      ': its work went back to the queues, so it can no longer act on task ' .. A.id,
      { id = A.id, by = A.by, agent_state = agent.state })
  end
  if task.assigned_to ~= A.by then
    fail('INVALID_TRANSITION', 'Task ' .. A.id .. ' is not assigned to ' .. agent.name,
      { id = A.id, by = A.by, assigned_to = task.assigned_to or NULL })
  end
end

local old = task.state
local previous_assignee = task.assigned_to
local assignee = previous_assignee
if present(A.assign_to) then assignee = A.assign_to end
if A.to_backlog then assignee = nil end
local fields = {}
if A.to == 'running' then fields.started_at = NOW end
if TERMINAL_TASK[A.to] then fields.completed_at = NOW end
if present(A.result) then fields.result = A.result end
write_task_state(task, A.to, assignee, fields)
if A.to == 'pending' or A.to == 'assigned' then clear_task_field(task, 'started_at') end
if A.to_backlog then redis.call('RPUSH', key('backlog'), A.id) end
if present(A.assign_to) and present(A.message) then push_message(A.assign_to, A.message, false) end

-- The assignee's pointer to its current task follows the task.
if present(previous_assignee) and previous_assignee ~= CONDUCTOR then
  local ak = key('agent', previous_assignee)
  local held = redis.call('HMGET', ak, 'id', 'current_task')
  if held[1] then
    local current = held[2]
    if A.agent_effect == 'start' then
      redis.call('HSET', ak, 'current_task', A.id, 'last_active_at', NOW)
    elseif current == A.id and (TERMINAL_TASK[A.to] or assignee ~= previous_assignee or A.to == 'pending') then
      redis.call('HDEL', ak, 'current_task')
    end
    if A.to == 'completed' then redis.call('HINCRBY', ak, 'tasks_completed', 1) end
  end
end

local event = ({
  running = 'task_started', completed = 'task_completed', failed = 'task_failed',
  cancelled = 'task_cancelled', pending = 'task_requeued', assigned = 'task_assigned',
})[A.to]
emit(event, {
  task_id = A.id, agent_id = assignee or previous_assignee, old_state = old, new_state = A.to,
  message = A.event_message or ('Task ' .. old .. ' -> ' .. A.to),
})
local next_task = false
if A.claim_next and present(previous_assignee) and previous_assignee ~= CONDUCTOR then
  local agent = hgetall(key('agent', previous_assignee))
  if agent.id and not TERMINAL_AGENT[agent.state] then
    local next = claim_next(agent, true, nil)
    if next then next_task = task_reply(next) end
  end
end
return { task_reply(task), next_task }
