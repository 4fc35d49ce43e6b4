-- Every agent's record with its queue lengths, in one round trip:
-- { { hgetall-flat, inbox length, urgent length, in-flight length }, … }
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', key('agents'))) do
  local flat = redis.call('HGETALL', key('agent', id))
  if #flat > 0 then
    out[#out + 1] = {
      flat,
      redis.call('LLEN', key('inbox', id)),
      redis.call('LLEN', key('urgent', id)),
      redis.call('LLEN', key('inflight', id)),
    }
  end
end
return out
