-- Creates pending tasks at the end of the backlog, in order, in one step. Returns the stored tasks.
local stored = {}
for i, task in ipairs(A.tasks) do
  create_task(task, nil)
  redis.call('RPUSH', key('backlog'), task.id)
  emit('task_created', { task_id = task.id, new_state = 'pending', message = 'Added to the backlog' })
  stored[i] = redis.call('HGETALL', key('task', task.id))
end
return stored
