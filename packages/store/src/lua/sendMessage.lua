-- Queues a message (ARGV[4], already JSON) for an agent or the conductor and records it in the town's
-- capped history. Returns the recipient's name.
local name = 'conductor'
if A.to ~= CONDUCTOR then
  name = redis.call('HGET', key('agent', A.to), 'name')
  if not name then fail('AGENT_NOT_FOUND', 'Agent not found: ' .. A.to, { ref = A.to }) end
end
local message = ARGV[4]
redis.call('RPUSH', key(A.urgent and 'urgent' or 'inbox', A.to), message)
redis.call('LPUSH', key('history'), message)
redis.call('LTRIM', key('history'), 0, A.history_max - 1)
return name
