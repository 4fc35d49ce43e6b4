-- Shared by every Tinytown script. KEYS[1] is the town's key prefix `tt:{<town>}:`; its hash tag puts
-- every key a script builds from it in the same cluster slot. ARGV[1] is now (ISO 8601), ARGV[2] now
-- (epoch ms), ARGV[3] the script's parameters as JSON.
local P = KEYS[1]
local NOW = ARGV[1]
local NOW_MS = tonumber(ARGV[2])
local A = cjson.decode(ARGV[3])
local CONDUCTOR = '00000000-0000-0000-0000-000000000001'
local NULL = cjson.null

local function key(kind, id)
  if id then return P .. kind .. ':' .. id end
  return P .. kind
end

-- Aborts the script with a typed error. Scripts validate before their first write, so an abort never
-- leaves a half-done change behind.
local function fail(code, message, details)
  error({ err = 'TINYTOWN ' .. cjson.encode({ code = code, message = message, details = details or {} }) })
end

-- The roster revision changes with every write that an agent listing would show (records, queue
-- lengths, the task in hand), so a reader may keep its last listing until the revision moves. A missing
-- counter starts from the server clock in microseconds: after a flush the town never repeats a revision
-- some reader may still hold.
local function bump_roster()
  local k = key('roster')
  if redis.call('INCR', k) == 1 then
    local t = redis.call('TIME')
    redis.call('SET', k, t[1] .. string.format('%06d', tonumber(t[2])))
  end
end
