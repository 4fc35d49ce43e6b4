-- Claims the oldest pending task on the backlog for an agent, in one step: the lock-free fast path for
-- claimers that take any task. With A.start the claimer starts it at once. Returns { task, agent name },
-- or false when the backlog holds nothing claimable.
local agent = load_agent(A.agent_id)
require_live(agent, 'claim work')
local task_id = claim_next(agent, A.start, A.envelope)
if not task_id then return false end
return { redis.call('HGETALL', key('task', task_id)), agent.name }
