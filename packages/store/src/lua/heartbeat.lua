-- Renews a live agent's lease. A terminal agent gets no lease: its runtime reads the state and exits.
-- Returns { state, stop_requested }.
local agent = load_agent(A.id)
if not TERMINAL_AGENT[agent.state] then
  redis.call('ZADD', key('leases'), NOW_MS + A.lease_ms, A.id)
  redis.call('HSET', key('agent', A.id), 'last_heartbeat', NOW)
end
return { agent.state, agent.stop_requested or '' }
