-- Every agent's record with its queue lengths and the description of the task in hand, in one round
-- trip, beside the roster revision it was read at: { revision or false, JSON }. The rows are one JSON
-- document (decoding one string is far cheaper for the client than thousands of nested bulk replies):
-- [ { "agent": { field: value, … }, "inbox": n, "urgent": n, "inflight": n, "scope": text? }, … ]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', key('agents'))) do
  local agent = hgetall(key('agent', id))
  if agent.id then
    local scope = nil
    if present(agent.current_task) then
      scope = redis.call('HGET', key('task', agent.current_task), 'description') or nil
    end
    out[#out + 1] = {
      agent = agent,
      inbox = redis.call('LLEN', key('inbox', id)),
      urgent = redis.call('LLEN', key('urgent', id)),
      inflight = redis.call('LLEN', key('inflight', id)),
      scope = scope,
    }
  end
end
local revision = redis.call('GET', key('roster'))
if #out == 0 then return { revision, '[]' } end
return { revision, cjson.encode(out) }
