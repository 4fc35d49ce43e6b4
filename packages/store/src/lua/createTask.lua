-- Creates a task assigned to an agent (or the conductor) with its task_assign message, in one step.
-- Returns the time it stamped on the record.
if present(A.assign_to) then ensure_recipient(A.assign_to) end
if present(A.task.parent_id) then load_task(A.task.parent_id) end
create_task(A.task, A.assign_to)
emit('task_created', { task_id = A.task.id, new_state = A.task.state, message = 'Task created' })
if present(A.assign_to) then
  push_message(A.assign_to, A.message, false)
  emit('task_assigned', {
    task_id = A.task.id, agent_id = A.assign_to, new_state = 'assigned', message = 'Task assigned',
  })
end
return NOW
