-- A mission's lease and fencing token. A.op:
--   acquire: a new token (INCR of the mission's fence counter) held for A.ttl_ms, only if nobody holds
--            the lease (A.steal: take it anyway, so the tick holding it loses it and writes nothing more);
--            returns the token, or 0 when someone else holds it or the mission is gone;
--   renew:   extends the lease if A.token still holds it (1), else 0;
--   release: drops the lease if A.token still holds it (1), else 0.
local mk = function(sub) return key('mission', A.id .. sub) end
local lease = mk(':lease')
if A.op == 'acquire' then
  if redis.call('EXISTS', key('mission', A.id)) == 0 then
    if A.steal then fail('MISSION_NOT_FOUND', 'Mission not found: ' .. A.id, { id = A.id }) end
    redis.call('ZREM', key('missions:wake'), A.id)
    return 0
  end
  if not A.steal and redis.call('EXISTS', lease) == 1 then return 0 end
  local token = redis.call('INCR', mk(':fence'))
  redis.call('SET', lease, tostring(token), 'PX', A.ttl_ms)
  return token
end
if redis.call('GET', lease) ~= tostring(A.token) then return 0 end
if A.op == 'renew' then
  redis.call('PEXPIRE', lease, A.ttl_ms)
else
  redis.call('DEL', lease)
end
return 1
