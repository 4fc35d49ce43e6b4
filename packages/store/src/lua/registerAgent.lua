-- Registers an agent: unique name (case-insensitive), existing parent, a start-up lease.
local agent = A.agent
local lower = string.lower(agent.name)
if redis.call('HEXISTS', key('agent-names'), lower) == 1 then
  fail('AGENT_EXISTS', 'Agent already exists: ' .. agent.name, { name = agent.name })
end
if present(agent.parent_agent_id) then load_agent(agent.parent_agent_id) end

local fields = {}
for f, v in pairs(agent) do
  if v ~= NULL then fields[f] = v end
end
fields.created_at = NOW
fields.last_heartbeat = NOW
fields.last_active_at = NOW
fields.tasks_completed = 0
fields.rounds_completed = 0
hset(key('agent', agent.id), fields)
redis.call('SADD', key('agents'), agent.id)
redis.call('HSET', key('agent-names'), lower, agent.id)
redis.call('ZADD', key('leases'), NOW_MS + A.grace_ms, agent.id)
activity(agent.id, 'Spawned (' .. agent.cli .. ')')
emit('agent_spawned', {
  agent_id = agent.id, new_state = agent.state, message = 'Agent ' .. agent.name .. ' spawned',
})
return 1
