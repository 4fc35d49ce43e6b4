import { CONDUCTOR_ID } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, useTownhall } from './support.js';

describe('townhall routes', () => {
  const h = useTownhall();
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(h.base, method, path, { body, ...(headers ? { headers } : {}) });

  it('health and healthz answer without Redis work', async () => {
    for (const path of ['/health', '/healthz']) {
      const response = await api('GET', path);
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ status: 'ok', uptime_secs: expect.any(Number) });
    }
  });

  it('ready reports Redis latency and an idle dispatcher, then a running and a stalled one', async () => {
    const idle = await api('GET', '/ready');
    expect(idle.status).toBe(200);
    expect(idle.json).toMatchObject({
      status: 'ready',
      redis: 'connected',
      dispatcher: 'idle',
      town: 'hall',
    });
    expect(idle.json.redis_latency_ms).toBeGreaterThanOrEqual(0);
    await h.town.probes.workerHeartbeat('w1');
    expect((await api('GET', '/readyz')).json.dispatcher).toBe('running');
    await h.town.probes.workerHeartbeat('w1', Date.now() - 60_000);
    expect((await api('GET', '/ready')).json.dispatcher).toBe('stalled');
  });

  it('town and status describe the town with its agents', async () => {
    const town = await api('GET', '/v1/town');
    expect(town.status).toBe(200);
    expect(town.json).toEqual({ name: 'hall', root: '/srv/town', redis_url: h.redis.url });
    await h.town.agents.register({ name: 'backend', cli: 'claude' });
    await h.town.backlog.add('later');
    const status = await api('GET', '/v1/status');
    expect(status.json).toMatchObject({ name: 'hall', agent_count: 1, backlog_count: 1 });
    expect(status.json.agents[0]).toMatchObject({
      name: 'backend',
      state: 'Starting',
      inbox_len: 0,
      urgent_len: 0,
    });
    expect(status.json.activity).toBeUndefined();
    const deep = await api('GET', '/v1/status?deep=true');
    expect(Object.keys(deep.json.activity)).toEqual([status.json.agents[0].id]);
    expectProblem(await api('GET', '/v1/status?deep=maybe'), 400, 'VALIDATION_FAILED');
  });

  it('spawns, lists and gets agents with PascalCase states', async () => {
    const spawned = await api('POST', '/v1/agents', { name: 'backend', role_id: 'api', nickname: 'Bea' });
    expect(spawned.status).toBe(201);
    expect(spawned.json).toMatchObject({
      name: 'backend',
      cli: 'claude',
      role_id: 'api',
      nickname: 'Bea',
      state: 'Starting',
    });
    const child = await api('POST', '/v1/agents', {
      name: 'helper',
      cli: 'Codex',
      parent_agent_id: 'backend',
    });
    expect(child.json).toMatchObject({
      cli: 'codex',
      parent_agent_id: spawned.json.agent_id,
      nickname: expect.any(String),
    });
    const typo = await api('POST', '/v1/agents', { name: 'typo', cli: 'claud' });
    expectProblem(typo, 400, 'INVALID_INPUT');
    expect(typo.json.detail).toContain("Unknown agent CLI 'claud'. Use one of: ");
    expect(typo.json.errors).toEqual([expect.objectContaining({ in: 'body', field: 'cli' })]);
    const list = await api('GET', '/v1/agents');
    expect(list.json.count).toBe(2);
    expect(list.json.agents.map((agent: { name: string }) => agent.name)).toEqual(['backend', 'helper']);
    const one = await api('GET', '/v1/agents/Bea');
    expect(one.json).toMatchObject({
      id: spawned.json.agent_id,
      name: 'backend',
      state: 'Starting',
      current_scope: null,
    });
    expectProblem(await api('GET', '/v1/agents/nobody'), 404, 'AGENT_NOT_FOUND');
    expectProblem(await api('POST', '/v1/agents', { name: 'BACKEND' }), 409, 'AGENT_EXISTS');
    expectProblem(await api('POST', '/v1/agents', { name: 'conductor' }), 400, 'RESERVED_NAME');
    expectProblem(await api('POST', '/v1/agents', { name: 'has space' }), 400, 'INVALID_NAME');
    expectProblem(
      await api('POST', '/v1/agents', { name: 'x', parent_agent_id: 'ghost' }),
      404,
      'AGENT_NOT_FOUND',
    );
  });

  it('answers a listing poller that holds the current version with 304, until something changes', async () => {
    await h.town.agents.register({ name: 'poller-seen', cli: 'claude' });
    const first = await api('GET', '/v1/agents');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"\d+"$/);
    expect((await api('GET', '/v1/agents')).headers.get('etag')).toBe(etag);

    for (const held of [etag, etag.slice(2), `W/"0", ${etag}`, '*']) {
      const unchanged = await api('GET', '/v1/agents', undefined, { 'if-none-match': held });
      expect(unchanged.status, held).toBe(304);
      expect(unchanged.text).toBe('');
      expect(unchanged.headers.get('etag')).toBe(etag);
    }
    expect((await api('GET', '/v1/agents', undefined, { 'if-none-match': 'W/"0"' })).status).toBe(200);

    // A message changes an inbox length the listing shows: the old version no longer matches.
    await api('POST', '/v1/messages/send', { to: 'poller-seen', message: 'news' });
    const changed = await api('GET', '/v1/agents', undefined, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.json.agents[0].inbox_len).toBe(1);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('shows the task in hand as current_scope', async () => {
    const agent = await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const { task } = await h.town.tasks.assign('worker', 'write the parser');
    await h.town.tasks.start(task.id);
    const one = await api('GET', `/v1/agents/${agent.id}`);
    expect(one.json).toMatchObject({ current_task: task.id, current_scope: 'write the parser' });
    expect((await api('GET', '/v1/agents')).json.agents[0].current_scope).toBe('write the parser');
  });

  it('runs the agent lifecycle: interrupt, resume, close, kill, restart, prune', async () => {
    const agent = await h.town.agents.register({ name: 'w', cli: 'claude' });
    const paused = await api('POST', '/v1/agents/w/interrupt');
    expect(paused.json).toEqual({
      status: 'paused',
      agent: 'w',
      agent_id: agent.id,
      previous_state: 'Starting',
      state: 'Paused',
    });
    expectProblem(await api('POST', '/v1/agents/w/interrupt'), 409, 'INVALID_TRANSITION');
    expect((await api('POST', '/v1/agents/w/resume')).json).toMatchObject({
      status: 'resumed',
      state: 'Idle',
    });
    expectProblem(await api('POST', '/v1/agents/w/resume'), 409, 'INVALID_TRANSITION');
    expectProblem(await api('POST', '/v1/agents/w/restart'), 409, 'INVALID_TRANSITION');
    expect((await api('POST', '/v1/agents/w/close')).json).toMatchObject({
      status: 'draining',
      state: 'Draining',
    });
    expect((await api('POST', '/v1/agents/w/kill')).json).toMatchObject({
      status: 'stopped',
      state: 'Stopped',
    });
    expect((await api('POST', '/v1/agents/w/restart')).json).toMatchObject({
      status: 'restarted',
      state: 'Starting',
    });
    await api('POST', '/v1/agents/w/kill');
    await h.town.agents.register({ name: 'alive', cli: 'claude' });
    const pruned = await api('POST', '/v1/agents/prune', {});
    expect(pruned.json).toEqual({ removed: 1, agents: ['w'] });
    const noBody = await api('POST', '/v1/agents/prune');
    expect(noBody.json).toEqual({ removed: 0, agents: [] });
    expect((await api('POST', '/v1/agents/prune', { all: true })).json).toEqual({
      removed: 1,
      agents: ['alive'],
    });
    for (const action of ['kill', 'restart', 'interrupt', 'resume', 'close']) {
      expectProblem(await api('POST', `/v1/agents/ghost/${action}`), 404, 'AGENT_NOT_FOUND');
    }
  });

  it('assigns tasks and lists pending, by state, by agent and one by one', async () => {
    const agent = await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const assigned = await api('POST', '/v1/tasks/assign', { agent: 'worker', task: 'Fix the bug' });
    expect(assigned.status).toBe(201);
    expect(assigned.json).toEqual({ task_id: expect.any(String), agent_id: agent.id, agent_name: 'worker' });
    const toConductor = await api('POST', '/v1/tasks/assign', { agent: 'conductor', task: 'Review' });
    expect(toConductor.json).toMatchObject({ agent_id: CONDUCTOR_ID, agent_name: 'conductor' });
    const pending = await api('GET', '/v1/tasks/pending');
    expect(pending.json.count).toBe(2);
    expect(pending.json.tasks).toContainEqual({
      task_id: assigned.json.task_id,
      description: 'Fix the bug',
      agent_id: agent.id,
      agent_name: 'worker',
    });
    expect((await api('GET', '/v1/tasks?agent=worker')).json.count).toBe(1);
    expect((await api('GET', '/v1/tasks?state=assigned')).json.count).toBe(2);
    expect((await api('GET', '/v1/tasks?state=completed')).json.count).toBe(0);
    const task = await api('GET', `/v1/tasks/${assigned.json.task_id}`);
    expect(task.json).toMatchObject({ id: assigned.json.task_id, state: 'assigned', assigned_to: agent.id });
    expectProblem(await api('GET', '/v1/tasks/6f1c0000-0000-4000-8000-000000000000'), 404, 'TASK_NOT_FOUND');
    expectProblem(
      await api('POST', '/v1/tasks/assign', { agent: 'ghost', task: 'x' }),
      404,
      'AGENT_NOT_FOUND',
    );
    expectProblem(await api('GET', '/v1/tasks?agent=ghost'), 404, 'AGENT_NOT_FOUND');
    const typo = await api('POST', '/v1/tasks/assign', { agent: 'wroker', task: 'x' });
    expectProblem(typo, 404, 'AGENT_NOT_FOUND');
    expect(typo.json.detail).toBe('Agent not found: wroker (did you mean "worker"?)');
    expectProblem(await api('GET', '/v1/tasks?state=sleeping'), 400, 'VALIDATION_FAILED');
  });

  it('completes and fails tasks, refusing a second verdict', async () => {
    await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const one = await h.town.tasks.assign('worker', 'one');
    const two = await h.town.tasks.assign('worker', 'two');
    const done = await api('POST', `/v1/tasks/${one.task.id}/complete`, { result: 'merged' });
    expect(done.json).toMatchObject({ id: one.task.id, state: 'completed', result: 'merged' });
    expectProblem(await api('POST', `/v1/tasks/${one.task.id}/complete`), 409, 'INVALID_TRANSITION');
    const failed = await api('POST', `/v1/tasks/${two.task.id}/fail`);
    expect(failed.json).toMatchObject({ state: 'failed', result: 'Failed' });
    expectProblem(
      await api('POST', `/v1/tasks/${two.task.id}/fail`, { error: 'again' }),
      409,
      'INVALID_TRANSITION',
    );
    expectProblem(
      await api('POST', '/v1/tasks/6f1c0000-0000-4000-8000-000000000000/complete'),
      404,
      'TASK_NOT_FOUND',
    );
  });

  it('refuses to complete or fail a backlog task: it is claimed or removed, not finished', async () => {
    const queued = await h.town.backlog.add('nobody has it');
    for (const [verdict, body, to] of [
      ['complete', { result: 'done' }, 'completed'],
      ['fail', { error: 'nobody took it' }, 'failed'],
    ] as const) {
      const refused = await api('POST', `/v1/tasks/${queued.id}/${verdict}`, body);
      expectProblem(refused, 409, 'INVALID_TRANSITION');
      expect(refused.json.detail).toBe(
        `Task ${queued.id} is in the backlog, so it cannot become ${to}: claim it for an agent first, or take it off the backlog`,
      );
    }
    expect(await h.town.tasks.get(queued.id)).toMatchObject({ state: 'pending', result: null });
    expect((await h.town.backlog.list()).map((task) => task.id)).toEqual([queued.id]);
  });

  it('fences a completion or failure sent on behalf of an agent', async () => {
    const worker = await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const other = await h.town.agents.register({ name: 'other', cli: 'claude' });
    const mine = await h.town.tasks.assign('worker', 'mine');
    const theirs = await h.town.tasks.assign('other', 'theirs');
    // Not the agent's task: 409, and the task is untouched.
    const refused = await api('POST', `/v1/tasks/${theirs.task.id}/complete`, { agent: 'worker' });
    expectProblem(refused, 409, 'INVALID_TRANSITION');
    expect(refused.json.detail).toBe(`Task ${theirs.task.id} is not assigned to worker`);
    expectProblem(
      await api('POST', `/v1/tasks/${theirs.task.id}/fail`, { agent: worker.id, error: 'x' }),
      409,
      'INVALID_TRANSITION',
    );
    expectProblem(
      await api('POST', `/v1/tasks/${mine.task.id}/complete`, { agent: 'ghost' }),
      404,
      'AGENT_NOT_FOUND',
    );
    expectProblem(
      await api('POST', `/v1/tasks/${mine.task.id}/complete`, { agent: '  ' }),
      400,
      'VALIDATION_FAILED',
    );
    // An agent that was stopped (killed, or recovered when its lease lapsed) acts no more.
    await h.town.agents.kill(other.id);
    const late = await api('POST', `/v1/tasks/${theirs.task.id}/complete`, { agent: 'other' });
    expectProblem(late, 409, 'INVALID_TRANSITION');
    expect(late.json.detail).toMatch(/^Agent other is stopped/);
    expect((await h.town.tasks.get(theirs.task.id)).state).toBe('assigned');
    // Its own task, live: done.
    const done = await api('POST', `/v1/tasks/${mine.task.id}/complete`, { agent: 'worker', result: 'ok' });
    expect(done.json).toMatchObject({ state: 'completed', result: 'ok' });
  });

  it('runs the backlog: add, list, claim, assign-all, remove', async () => {
    const agent = await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const added = await api('POST', '/v1/backlog', { description: 'first', tags: ['api', ' db '] });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ task_id: expect.any(String), description: 'first', tags: ['api', 'db'] });
    const second = await api('POST', '/v1/backlog', { description: 'second' });
    const third = await api('POST', '/v1/backlog', { description: 'third' });
    const listed = await api('GET', '/v1/backlog');
    expect(listed.json.count).toBe(3);
    expect(listed.json.backlog.map((item: { description: string }) => item.description)).toEqual([
      'first',
      'second',
      'third',
    ]);

    const claimed = await api('POST', `/v1/backlog/${added.json.task_id}/claim`, { agent: 'worker' });
    expect(claimed.json).toEqual({ task_id: added.json.task_id, agent_id: agent.id, agent_name: 'worker' });
    expectProblem(
      await api('POST', `/v1/backlog/${added.json.task_id}/claim`, { agent: 'worker' }),
      409,
      'NOT_IN_BACKLOG',
    );
    expectProblem(
      await api('POST', '/v1/backlog/6f1c0000-0000-4000-8000-000000000000/claim', { agent: 'worker' }),
      404,
      'TASK_NOT_FOUND',
    );
    expectProblem(
      await api('POST', `/v1/backlog/${second.json.task_id}/claim`, { agent: 'ghost' }),
      404,
      'AGENT_NOT_FOUND',
    );

    const removed = await api('DELETE', `/v1/backlog/${third.json.task_id}`);
    expect(removed.json).toEqual({ removed: true, task_id: third.json.task_id });
    expectProblem(await api('DELETE', `/v1/backlog/${third.json.task_id}`), 404, 'TASK_NOT_FOUND');
    expectProblem(await api('DELETE', `/v1/backlog/${added.json.task_id}`), 409, 'NOT_IN_BACKLOG');

    expectProblem(await api('POST', '/v1/backlog/assign-all', { agent: 'ghost' }), 404, 'AGENT_NOT_FOUND');
    const all = await api('POST', '/v1/backlog/assign-all', { agent: 'worker' });
    expect(all.json).toEqual({ assigned: 1, tasks: [second.json.task_id], agent_id: agent.id });
    expect((await api('GET', '/v1/backlog')).json).toEqual({ backlog: [], count: 0 });
  });

  it('sends messages and reads inboxes with GET and POST', async () => {
    const agent = await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const sender = await h.town.agents.register({ name: 'lead', cli: 'claude' });
    const sent = await api('POST', '/v1/messages/send', { to: 'worker', message: 'hello', kind: 'info' });
    expect(sent.status).toBe(201);
    expect(sent.json).toEqual({ message_id: expect.any(String), to_agent: agent.id, urgent: false });
    await api('POST', '/v1/messages/send', { to: 'worker', message: 'now!', urgent: true, from: 'lead' });
    await api('POST', '/v1/messages/send', { to: 'worker', message: 'why?', kind: 'query', from: sender.id });
    for (const method of ['GET', 'POST']) {
      const inbox = await api(method, '/v1/agents/worker/inbox');
      expect(inbox.status).toBe(200);
      expect(inbox.json).toMatchObject({
        agent: 'worker',
        agent_id: agent.id,
        total: 3,
        urgent: 1,
        inflight: 0,
      });
      expect(inbox.json.messages.map((m: { summary: string }) => m.summary)).toEqual([
        'now!',
        'hello',
        'why?',
      ]);
      expect(inbox.json.messages[0]).toMatchObject({ from: sender.id, type: 'task', urgent: true });
      expect(inbox.json.messages[1]).toMatchObject({ from: CONDUCTOR_ID, type: 'info', urgent: false });
    }
    const conductor = await api('GET', '/v1/agents/conductor/inbox');
    expect(conductor.json).toMatchObject({ agent_id: CONDUCTOR_ID, total: 0 });
    expectProblem(
      await api('POST', '/v1/messages/send', { to: 'ghost', message: 'x' }),
      404,
      'AGENT_NOT_FOUND',
    );
    expectProblem(
      await api('POST', '/v1/messages/send', { to: 'worker', message: 'x', from: 'ghost' }),
      404,
      'AGENT_NOT_FOUND',
    );
    expectProblem(await api('GET', '/v1/agents/ghost/inbox'), 404, 'AGENT_NOT_FOUND');
    expectProblem(
      await api('POST', '/v1/messages/send', { to: 'worker', message: 'x', kind: 'shout' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('recovers agents whose lease ran out and reclaims their work', async () => {
    const dead = await h.town.agents.register({ name: 'dead', cli: 'claude' });
    const alive = await h.town.agents.register({ name: 'alive', cli: 'claude' });
    const { task } = await h.town.tasks.assign('dead', 'unfinished');
    // The lease runs out: recovery stops the agent.
    await h.redis.client.zadd(`tt:{hall}:leases`, 1, dead.id);
    const recovered = await api('POST', '/v1/recover');
    expect(recovered.status).toBe(200);
    expect(recovered.json).toMatchObject({ recovered: 1, agents: ['dead'] });
    expect((await api('POST', '/v1/recover')).json.recovered).toBe(0);

    const listed = await api('POST', '/v1/reclaim', {});
    expect(listed.json).toMatchObject({ destination: 'listed' });
    expect(listed.json.work[0]).toMatchObject({ agent_id: dead.id, agent_name: 'dead', tasks: [task.id] });
    expect((await api('POST', '/v1/reclaim')).json.destination).toBe('listed');

    const orphans = await api('POST', '/v1/reclaim/orphan-tasks');
    expect(orphans.json).toEqual({
      action: 'list',
      count: 1,
      orphans: [{ task_id: task.id, assigned_to: dead.id, state: 'assigned', reason: 'agent_terminal' }],
    });
    expectProblem(await api('POST', '/v1/reclaim', { to: 'ghost' }), 404, 'AGENT_NOT_FOUND');
    expectProblem(await api('POST', '/v1/reclaim', { from: 'alive' }), 409, 'INVALID_TRANSITION');
    expectProblem(await api('POST', '/v1/reclaim', { to: 'alive', to_backlog: true }), 400, 'INVALID_INPUT');
    expectProblem(
      await api('POST', '/v1/reclaim/orphan-tasks', { action: 'burn' }),
      400,
      'VALIDATION_FAILED',
    );

    const moved = await api('POST', '/v1/reclaim', { to: 'alive', from: 'dead' });
    expect(moved.json).toMatchObject({ destination: 'agent:alive' });
    expect(moved.json.reclaimed).toBeGreaterThan(0);
    expect((await h.town.tasks.get(task.id)).assigned_to).toBe(alive.id);
    expect((await api('POST', '/v1/reclaim', { to_backlog: true })).json.destination).toBe('backlog');
  });

  it('hands orphan tasks back to the backlog', async () => {
    await h.town.agents.register({ name: 'gone', cli: 'claude' });
    const { task } = await h.town.tasks.assign('gone', 'orphaned');
    await h.town.agents.kill('gone');
    const handled = await api('POST', '/v1/reclaim/orphan-tasks', { action: 'backlog' });
    expect(handled.json).toMatchObject({ action: 'to_backlog', count: 1 });
    expect((await h.town.backlog.list()).map((item) => item.id)).toEqual([task.id]);
  });

  it('lists recent events, newest first, for the town or one agent', async () => {
    await h.town.agents.register({ name: 'a1', cli: 'claude' });
    await h.town.agents.register({ name: 'a2', cli: 'claude' });
    await h.town.tasks.assign('a1', 'x');
    const all = await api('GET', '/v1/events?limit=2');
    expect(all.json.count).toBe(2);
    expect(all.json.events.map((event: { event_type: string }) => event.event_type)).toContain(
      'task_created',
    );
    const forAgent = await api('GET', '/v1/events?agent=a2');
    expect(forAgent.json.events.every((event: { agent_id?: string }) => event.agent_id !== undefined)).toBe(
      true,
    );
    expectProblem(await api('GET', '/v1/events?limit=0'), 400, 'VALIDATION_FAILED');
    expectProblem(await api('GET', '/v1/events?agent=ghost'), 404, 'AGENT_NOT_FOUND');
  });

  it('gives the scaling signal by the documented rule', async () => {
    const empty = await api('GET', '/api/scaling');
    expect(empty.json).toMatchObject({
      town: 'hall',
      queue_depth: 0,
      active_agents: 0,
      desired_agents: 0,
      max_agents: 10,
      scaling_recommendation: 'scale_to_zero',
    });
    await h.town.agents.register({ name: 'w', cli: 'claude' });
    await h.town.backlog.add('one');
    await h.town.tasks.assign('w', 'two');
    const busy = await api('GET', '/api/scaling');
    expect(busy.json).toMatchObject({
      queue_depth: 2,
      pending_tasks: 2,
      in_flight_tasks: 0,
      active_agents: 1,
      cold_agents: 0,
      desired_agents: 2,
      scaling_recommendation: 'scale_up',
    });
  });

  it('exposes the tinytown metric families and request durations', async () => {
    await h.town.agents.register({ name: 'w', cli: 'claude' });
    await h.town.backlog.add('one');
    const { task } = await h.town.tasks.assign('w', 'two');
    await h.town.tasks.complete(task.id);
    await api('GET', '/v1/agents');
    const metrics = await api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    for (const line of [
      'tinytown_up 1',
      'tinytown_ready 1',
      'tinytown_agents_total{state="starting"} 1',
      'tinytown_tasks_pending 1',
      'tinytown_tasks_completed_total 1',
      'tinytown_missions_active 0',
      'tinytown_backlog_tasks 1',
      'tinytown_tasks_assigned_pending 0',
      'tinytown_urgent_messages 0',
    ]) {
      expect(metrics.text).toContain(`${line}\n`);
    }
    expect(metrics.text).toMatch(/tinytown_redis_latency_seconds \d/);
    expect(metrics.text).toMatch(
      /tinytown_http_request_duration_seconds_count\{method="GET",route="\/v1\/agents",status_code="200"\} 1/,
    );
  });

  it('logs no line for probe requests, and one pair for each other request', async () => {
    for (const path of ['/health', '/healthz', '/ready', '/readyz', '/metrics', '/api/scaling']) {
      expect((await api('GET', path)).status, path).toBe(200);
    }
    const requestLines = () => h.logs.filter((line) => line.includes('"reqId"'));
    expect(requestLines()).toEqual([]);
    await api('GET', '/v1/agents');
    expect(requestLines().map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'incoming request',
      'request completed',
    ]);
  });

  it('echoes or generates request ids', async () => {
    const given = await api('GET', '/health', undefined, { 'x-request-id': 'trace-42' });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const generated = await api('GET', '/health', undefined, { 'x-request-id': 'bad id with spaces' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await api('GET', '/v1/agents/ghost', undefined, { 'x-request-id': 'trace-43' });
    expect(problem.json.request_id).toBe('trace-43');
  });

  it('answers unknown routes with 404 and wrong methods with 405, as problems', async () => {
    expectProblem(await api('GET', '/v2/nothing'), 404, 'ROUTE_NOT_FOUND');
    const wrong = await api('DELETE', '/v1/agents');
    expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toContain('POST');
    expectProblem(
      await api('PUT', '/v1/backlog/6f1c0000-0000-4000-8000-000000000000'),
      405,
      'METHOD_NOT_ALLOWED',
    );
  });

  it('serves the docs with security headers and CORS stays off', async () => {
    const docs = await call(h.base, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
    expect(docs.headers.get('referrer-policy')).toBe('no-referrer');
    for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/json']) {
      const served = await call(h.base, 'GET', asset);
      expect(served.status, asset).toBe(200);
      expect(served.headers.get('content-security-policy'), asset).toContain("default-src 'self'");
    }
    const cors = await api('GET', '/v1/agents', undefined, { origin: 'https://evil.example' });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('spawning with the town’s own CLIs', () => {
  const h = useTownhall({
    config: { default_cli: 'my-ai', agent_clis: { 'my-ai': { command: 'my-ai --yes', env: {} } } },
  });

  it('accepts an [agent_clis] entry by name and uses the town default when none is given', async () => {
    const named = await call(h.base, 'POST', '/v1/agents', { body: { name: 'custom', cli: 'MY-AI' } });
    expect(named.status).toBe(201);
    expect(named.json.cli).toBe('my-ai');
    const defaulted = await call(h.base, 'POST', '/v1/agents', { body: { name: 'plain' } });
    expect(defaulted.json.cli).toBe('my-ai');
    expect((await h.town.agents.get(named.json.agent_id)).cli).toBe('my-ai');
  });
});
