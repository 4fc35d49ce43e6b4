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
