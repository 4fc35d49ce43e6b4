-- The helpers most scripts share, after prelude.lua: records, indexes, events and task hand-over.

local function hgetall(k)
  local flat = redis.call('HGETALL', k)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- A record table as the flat field, value, … list HSET takes and HGETALL returns.
local function flatten(fields)
  local flat = {}
  for f, v in pairs(fields) do
    flat[#flat + 1] = f
    flat[#flat + 1] = tostring(v)
  end
  return flat
end

local function hset(k, fields)
  local args = flatten(fields)
  if #args > 0 then redis.call('HSET', k, unpack(args)) end
end

local function contains(list, value)
  if list == nil or list == NULL then return false end
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

local function present(v) return v ~= nil and v ~= NULL and v ~= '' end

local function emit(event_type, event)
  event.event_type = event_type
  event.timestamp = NOW
  local data = cjson.encode(event)
  redis.call('XADD', key('events'), 'MAXLEN', '~', 1000, '*', 'event_type', event_type, 'data', data)
  if present(event.agent_id) and event.agent_id ~= CONDUCTOR then
    redis.call('XADD', key('events:agent', event.agent_id), 'MAXLEN', '~', 100, '*',
      'event_type', event_type, 'data', data)
  end
end

local function activity(agent_id, text)
  local k = key('activity', agent_id)
  redis.call('LPUSH', k, NOW .. ' ' .. text)
  redis.call('LTRIM', k, 0, 49)
end

local function load_agent(id)
  local agent = hgetall(key('agent', id))
  if not agent.id then fail('AGENT_NOT_FOUND', 'Agent not found: ' .. id, { ref = id }) end
  return agent
end

local function load_task(id)
  local task = hgetall(key('task', id))
  if not task.id then fail('TASK_NOT_FOUND', 'Task not found: ' .. id, { id = id }) end
  return task
end

local TERMINAL_AGENT = { stopped = true, error = true, cold = true }
local TERMINAL_TASK = { completed = true, failed = true, cancelled = true }

-- Moves a task to a new state, with any `fields` to set in the same write, and keeps the per-state and
-- per-agent indexes in step with the hash. The task table follows the hash, so a script can answer with it
-- (task_reply) instead of reading the record back.
local function write_task_state(task, state, assignee, fields)
  local id = task.id
  redis.call('SREM', key('tasks:state', task.state), id)
  redis.call('SADD', key('tasks:state', state), id)
  local previous = task.assigned_to
  if present(previous) and previous ~= assignee then redis.call('SREM', key('tasks:agent', previous), id) end
  local set = fields or {}
  set.state = state
  set.updated_at = NOW
  if present(assignee) then
    redis.call('SADD', key('tasks:agent', assignee), id)
    set.assigned_to = assignee
  elseif previous ~= nil then
    redis.call('HDEL', key('task', id), 'assigned_to')
    task.assigned_to = nil
  end
  hset(key('task', id), set)
  for f, v in pairs(set) do task[f] = tostring(v) end
end

-- Removes `field` from a task record and its table.
local function clear_task_field(task, field)
  if task[field] ~= nil then
    redis.call('HDEL', key('task', task.id), field)
    task[field] = nil
  end
end

-- A task table as HGETALL returns its record (the table must have been kept in step with the hash).
local function task_reply(task)
  return flatten(task)
end

local function create_task(task, assignee)
  local fields = {
    id = task.id, description = task.description, state = task.state, tags = task.tags_json,
    created_at = NOW, updated_at = NOW,
  }
  if present(task.parent_id) then fields.parent_id = task.parent_id end
  if present(assignee) then fields.assigned_to = assignee end
  hset(key('task', task.id), fields)
  redis.call('SADD', key('tasks'), task.id)
  redis.call('SADD', key('tasks:state', task.state), task.id)
  if present(assignee) then redis.call('SADD', key('tasks:agent', assignee), task.id) end
end

local function push_message(to, json, urgent)
  redis.call('RPUSH', key(urgent and 'urgent' or 'inbox', to), json)
end

local function ensure_recipient(id)
  if id ~= CONDUCTOR and redis.call('EXISTS', key('agent', id)) == 0 then
    fail('AGENT_NOT_FOUND', 'Agent not found: ' .. id, { ref = id })
  end
end

-- Assigns a pending backlog task to `agent` and queues its task_assign message (`envelope`, a prepared
-- message without its task id).
local function hand_over(task, agent, envelope, message)
  write_task_state(task, 'assigned', agent.id)
  envelope.task_id = task.id
  push_message(agent.id, cjson.encode(envelope), false)
  emit('task_assigned', {
    task_id = task.id, agent_id = agent.id, old_state = 'pending', new_state = 'assigned', message = message,
  })
end

-- Gives `task`, pending and just taken off the backlog, to `agent` (a loaded agent record): assigned
-- with its task_assign message, or with `start` running at once.
local function take_from_backlog(task, agent, start, envelope)
  if start then
    write_task_state(task, 'running', agent.id, { started_at = NOW })
    redis.call('HSET', key('agent', agent.id), 'current_task', task.id, 'last_active_at', NOW)
    emit('task_started', {
      task_id = task.id, agent_id = agent.id, old_state = 'pending', new_state = 'running',
      message = 'Claimed from the backlog and started by ' .. agent.name,
    })
  else
    hand_over(task, agent, envelope, 'Claimed from the backlog by ' .. agent.name)
  end
end

-- Takes the oldest pending task off the backlog for `agent`. Stale ids are dropped on the way. Returns
-- the task (its table, in step with the record), or nil when nothing is claimable.
local function claim_next(agent, start, envelope)
  while true do
    local task_id = redis.call('LPOP', key('backlog'))
    if not task_id then return nil end
    local task = hgetall(key('task', task_id))
    if task.id and task.state == 'pending' then
      take_from_backlog(task, agent, start, envelope)
      return task
    end
  end
end

local function require_live(agent, doing)
  if TERMINAL_AGENT[agent.state] then
    fail('INVALID_TRANSITION', 'Agent ' .. agent.name .. ' is ' .. agent.state .. ' and cannot ' .. doing,
      { from = agent.state, agent = agent.name })
  end
end
