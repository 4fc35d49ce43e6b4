-- Moves an agent from one of A.from to A.to, with the side effects the transition needs.
-- Returns the previous state.
local agent = load_agent(A.id)
local old = agent.state
if not contains(A.from, old) then
  fail('INVALID_TRANSITION', 'Agent ' .. agent.name .. ' is ' .. old .. ' and cannot become ' .. A.to,
    { from = old, to = A.to, agent = agent.name })
end
local k = key('agent', A.id)
redis.call('HSET', k, 'state', A.to, 'last_active_at', NOW)
if A.stop then redis.call('HSET', k, 'stop_requested', A.stop) end
if A.clear_stop then redis.call('HDEL', k, 'stop_requested') end
if A.reset_rounds then redis.call('HSET', k, 'rounds_completed', 0) end
-- Every live agent holds a lease, also one coming back from a terminal state without asking for a
-- particular one: recovery treats a live agent with none as lost.
local lease_ms = A.lease_ms
if not lease_ms and TERMINAL_AGENT[old] then lease_ms = A.default_lease_ms end
if TERMINAL_AGENT[A.to] then
  redis.call('ZREM', key('leases'), A.id)
elseif lease_ms then
  redis.call('ZADD', key('leases'), NOW_MS + lease_ms, A.id)
  redis.call('HSET', k, 'last_heartbeat', NOW)
end
if present(A.activity) then activity(A.id, A.activity) end
emit(A.event or 'agent_state_changed', {
  agent_id = A.id, old_state = old, new_state = A.to,
  message = A.message or ('Agent ' .. agent.name .. ': ' .. old .. ' -> ' .. A.to),
})
return old
