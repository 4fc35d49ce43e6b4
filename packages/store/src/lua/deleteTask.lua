-- Deletes a task record and every index entry that points at it, the backlog included.
local task = load_task(A.id)
redis.call('DEL', key('task', A.id))
redis.call('SREM', key('tasks'), A.id)
redis.call('SREM', key('tasks:state', task.state), A.id)
if present(task.assigned_to) then redis.call('SREM', key('tasks:agent', task.assigned_to), A.id) end
redis.call('LREM', key('backlog'), 0, A.id)
emit('task_deleted', { task_id = A.id, agent_id = task.assigned_to, message = A.reason or 'Task deleted' })
return 1
