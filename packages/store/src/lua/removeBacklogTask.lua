-- Takes a task off the backlog and deletes it.
if redis.call('LREM', key('backlog'), 0, A.task_id) == 0 then
  fail('NOT_IN_BACKLOG', 'Task ' .. A.task_id .. ' is not in the backlog', { id = A.task_id })
end
local task = hgetall(key('task', A.task_id))
if task.id then
  redis.call('DEL', key('task', A.task_id))
  redis.call('SREM', key('tasks'), A.task_id)
  redis.call('SREM', key('tasks:state', task.state), A.task_id)
end
emit('task_deleted', { task_id = A.task_id, message = 'Removed from the backlog' })
return 1
