-- Claims a pending backlog task for an agent, in one step: the oldest, or with A.among (ids the caller
-- chose, for instance by the agent's role) the first of those still on the backlog, so that claimers
-- racing over the same candidates each get the next one instead of failing. Ids found stale on the way
-- are dropped from the backlog. With A.start the claimer starts the task at once. Returns
-- { task, agent name }, or false when nothing suitable is claimable.
local agent = load_agent(A.agent_id)
require_live(agent, 'claim work')

local function claim_first_of(ids)
  for _, id in ipairs(ids) do
    if redis.call('LREM', key('backlog'), 1, id) == 1 then
      local task = hgetall(key('task', id))
      if task.id and task.state == 'pending' then
        take_from_backlog(task, agent, A.start, A.envelope)
        return task
      end
    end
  end
  return nil
end

local task
if A.among then task = claim_first_of(A.among) else task = claim_next(agent, A.start, A.envelope) end
if not task then return false end
return { task_reply(task), agent.name }
