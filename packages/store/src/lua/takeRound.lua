-- Moves up to A.max queued messages (urgent first, then normal, each oldest first) into the agent's
-- in-flight list and returns the in-flight list. Messages still in flight from a round that was never
-- acknowledged are delivered again before anything new.
ensure_recipient(A.id)
local inflight = key('inflight', A.id)
if redis.call('LLEN', inflight) == 0 then
  local moved = 0
  for _, queue in ipairs({ key('urgent', A.id), key('inbox', A.id) }) do
    while moved < A.max do
      if not redis.call('LMOVE', queue, inflight, 'LEFT', 'RIGHT') then break end
      moved = moved + 1
    end
  end
end
return redis.call('LRANGE', inflight, 0, -1)
