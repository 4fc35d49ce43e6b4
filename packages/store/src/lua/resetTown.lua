-- Deletes the town's data through its indexes (no KEYS, no SCAN): the agents and their queues, or with
-- A.agents_only = false everything. Returns the number of keys deleted.
local deleted = 0
local function del(...)
  deleted = deleted + redis.call('DEL', ...)
end
local agent_ids = redis.call('SMEMBERS', key('agents'))
for _, id in ipairs(agent_ids) do
  del(key('agent', id), key('inbox', id), key('urgent', id), key('inflight', id), key('activity', id),
    key('events:agent', id), key('tasks:agent', id))
end
del(key('agents'), key('agent-names'), key('leases'))
-- Not counted: a bookkeeping key. With no revision, readers list afresh until the next write.
redis.call('DEL', key('roster'))
if not A.agents_only then
  for _, id in ipairs(redis.call('SMEMBERS', key('tasks'))) do
    local assignee = redis.call('HGET', key('task', id), 'assigned_to')
    if assignee then del(key('tasks:agent', assignee), key('events:agent', assignee)) end
    del(key('task', id))
  end
  for _, state in ipairs({ 'pending', 'assigned', 'running', 'completed', 'failed', 'cancelled' }) do
    del(key('tasks:state', state))
  end
  del(key('tasks'), key('backlog'), key('events'), key('history'),
    key('inbox', CONDUCTOR), key('urgent', CONDUCTOR), key('inflight', CONDUCTOR))
  for _, extra in ipairs(A.extra_keys or {}) do del(P .. extra) end
end
return deleted
