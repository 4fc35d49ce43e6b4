-- Removes agents (stopped or error ones, or every agent with A.all) and their queues. Their tasks stay
-- and show up as orphans. Returns the removed names.
local removed = {}
for _, id in ipairs(redis.call('SMEMBERS', key('agents'))) do
  local agent = hgetall(key('agent', id))
  if agent.id and (A.all or agent.state == 'stopped' or agent.state == 'error') then
    redis.call('DEL', key('agent', id), key('inbox', id), key('urgent', id), key('inflight', id), key('activity', id))
    redis.call('SREM', key('agents'), id)
    redis.call('HDEL', key('agent-names'), string.lower(agent.name))
    redis.call('ZREM', key('leases'), id)
    emit('agent_removed', { agent_id = id, old_state = agent.state, message = 'Agent ' .. agent.name .. ' pruned' })
    removed[#removed + 1] = agent.name
  elseif not agent.id then
    redis.call('SREM', key('agents'), id)
  end
end
return removed
