-- Every agent's record with its queue lengths, in one round trip, as one JSON document (decoding one
-- string is far cheaper for the client than thousands of nested bulk replies):
-- [ { "agent": { field: value, … }, "inbox": n, "urgent": n, "inflight": n }, … ]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', key('agents'))) do
  local agent = hgetall(key('agent', id))
  if agent.id then
    out[#out + 1] = {
      agent = agent,
      inbox = redis.call('LLEN', key('inbox', id)),
      urgent = redis.call('LLEN', key('urgent', id)),
      inflight = redis.call('LLEN', key('inflight', id)),
    }
  end
end
if #out == 0 then return '[]' end
return cjson.encode(out)
