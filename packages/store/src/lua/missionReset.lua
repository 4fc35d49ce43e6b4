-- Deletes every mission through the mission index (no KEYS, no SCAN). Returns the number of keys deleted.
local deleted = 0
for _, mid in ipairs(redis.call('SMEMBERS', key('missions'))) do
  local mk = function(sub) return key('mission', mid .. sub) end
  deleted = deleted + redis.call('DEL', key('mission', mid), mk(':work'), mk(':watch'), mk(':control'),
    mk(':events'), mk(':lease'), mk(':fence'), mk(':tasks'), mk(':notes-pending'))
end
deleted = deleted + redis.call('DEL', key('missions'), key('missions:active'), key('missions:wake'),
  key('missions:watch-due'))
return deleted
