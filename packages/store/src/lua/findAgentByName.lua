-- An agent's record by its (case-insensitive) name, in one round trip; false when no agent has it.
local id = redis.call('HGET', key('agent-names'), string.lower(A.name))
if not id then return false end
local record = redis.call('HGETALL', key('agent', id))
if #record == 0 then return false end
return record
