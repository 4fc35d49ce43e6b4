-- Ends a round: the messages named in A.requeue go back to the front of the queue they came from, in
-- their original order; everything else in flight is acknowledged (removed).
local inflight = key('inflight', A.id)
local entries = redis.call('LRANGE', inflight, 0, -1)
local back = { urgent = {}, inbox = {} }
for _, raw in ipairs(entries) do
  local ok, message = pcall(cjson.decode, raw)
  if ok and contains(A.requeue, message.id) then
    local queue = (message.urgent == true) and 'urgent' or 'inbox'
    table.insert(back[queue], raw)
  end
end
for queue, list in pairs(back) do
  for i = #list, 1, -1 do redis.call('LPUSH', key(queue, A.id), list[i]) end
end
redis.call('DEL', inflight)
return #back.urgent + #back.inbox
