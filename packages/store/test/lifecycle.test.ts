import { CONDUCTOR_ID, type Task, type TownEvent } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { useTown } from './support.js';

describe('agents', () => {
  const ctx = useTown('life');

  it('registers with nickname, role and parent, and resolves every kind of reference', async () => {
    const { town } = ctx;
    const parent = await town.agents.register({
      name: 'lead',
      cli: 'claude',
      role: 'reviewer',
      nickname: 'Walter',
    });
    const child = await town.agents.register({ name: 'helper', cli: 'codex', parent: 'Walter' });
    expect(child.parent_agent_id).toBe(parent.id);
    expect(child.nickname).toBeTruthy();
    expect((await town.agents.resolve('LEAD')).id).toBe(parent.id);
    expect((await town.agents.resolve('Walter [reviewer]')).id).toBe(parent.id);
    expect((await town.agents.resolve(parent.id.slice(0, 4))).id).toBe(parent.id);
    expect(await town.agents.resolveAddress('supervisor')).toEqual({ id: CONDUCTOR_ID, name: 'conductor' });
    const listed = await town.agents.list();
    expect(listed.map((agent) => agent.name)).toEqual(['lead', 'helper']);
  });

  it('an optional field given as undefined is as if left out', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({
      name: 'plain',
      cli: 'claude',
      role: undefined,
      nickname: undefined,
      parent: undefined,
      spawnMode: undefined,
      agentType: undefined,
    });
    expect(agent).toMatchObject({
      role_id: null,
      parent_agent_id: null,
      spawn_mode: 'fresh',
      agent_type: 'worker',
    });
    const { task } = await town.tasks.assign('plain', 'work', { tags: undefined, parentId: undefined });
    expect(task).toMatchObject({ tags: [], assigned_to: agent.id });
    expect((await town.backlog.add('later', { tags: undefined })).tags).toEqual([]);
    const sent = await town.messages.send({
      to: 'plain',
      text: 'hi',
      kind: undefined,
      urgent: undefined,
      from: undefined,
    });
    expect(sent.message).toMatchObject({ from: CONDUCTOR_ID, priority: 'normal' });
    expect(await town.tasks.list({ state: undefined, agent: undefined })).toHaveLength(2);
    expect(await town.events.recent({ limit: undefined, agent: undefined, mission: undefined })).not.toEqual(
      [],
    );
    expect(
      (await town.recovery.reclaim({ to: undefined, toBacklog: undefined, from: undefined })).destination,
    ).toEqual({ kind: 'listed' });
    await town.tasks.start(task.id, { by: undefined });
    expect((await town.tasks.complete(task.id, undefined, { by: undefined })).state).toBe('completed');
  });

  it('walks the lifecycle: interrupt, resume, close, kill, restart, prune — with events', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'cycler', cli: 'claude' });
    expect((await town.agents.interrupt('cycler')).agent.state).toBe('paused');
    expect((await town.agents.resume('cycler')).agent.state).toBe('idle');
    const closed = await town.agents.close('cycler');
    expect(closed.agent.state).toBe('draining');
    expect(await town.agents.heartbeat(agent.id)).toEqual({ state: 'draining', stopRequested: 'close' });
    expect((await town.agents.kill('cycler')).agent.state).toBe('stopped');
    await expect(town.agents.interrupt('cycler')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    const restarted = await town.agents.restart('cycler');
    expect(restarted.previous).toBe('stopped');
    expect(restarted.agent.state).toBe('starting');
    expect(await town.agents.heartbeat(agent.id)).toEqual({ state: 'starting', stopRequested: null });

    const events = await town.events.recent({ agent: 'cycler', limit: 10 });
    expect(events.map((event) => event.event_type)).toEqual([
      'agent_state_changed',
      'agent_stopped',
      'agent_stopped',
      'agent_resumed',
      'agent_interrupted',
      'agent_spawned',
    ]);
    expect(events[1]).toMatchObject({ old_state: 'draining', new_state: 'stopped' });
    expect((await town.agents.activity('cycler')).length).toBeGreaterThanOrEqual(5);

    await town.agents.kill('cycler');
    await town.agents.register({ name: 'keeper', cli: 'claude' });
    expect(await town.agents.prune()).toEqual(['cycler']);
    expect((await town.agents.list()).map((a) => a.name)).toEqual(['keeper']);
    // The name is free again.
    await town.agents.register({ name: 'cycler', cli: 'claude' });
    expect(await town.agents.prune({ all: true })).toHaveLength(2);
  });

  it('waits until an agent is terminal, or times out', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'waiter', cli: 'claude' });
    const timedOut = await town.agents.waitUntilTerminal('waiter', { timeoutMs: 100, pollMs: 20 });
    expect(timedOut).toMatchObject({ timedOut: true, agent: { state: 'starting' } });
    setTimeout(() => void town.agents.kill('waiter'), 100);
    const stopped = await town.agents.waitUntilTerminal('waiter', { timeoutMs: 5000, pollMs: 20 });
    expect(stopped).toMatchObject({ timedOut: false, agent: { state: 'stopped' } });
  });
});

describe('tasks, messages and the backlog', () => {
  const ctx = useTown('work');

  it('tracks a task through start and completion, and the agent current task with it', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'dev', cli: 'claude' });
    const { task } = await town.tasks.assign('dev', 'write the parser', { tags: 'backend, parser' });
    expect(task).toMatchObject({ state: 'assigned', assigned_to: agent.id, tags: ['backend', 'parser'] });
    // The task assign returns is the record as stored, to the field.
    expect(task).toStrictEqual(await town.tasks.get(task.id));
    expect((await town.tasks.current('dev'))?.id).toBe(task.id);
    const started = await town.tasks.start(task.id);
    expect(started.started_at).not.toBeNull();
    expect((await town.agents.get(agent.id)).current_task).toBe(task.id);
    const done = await town.tasks.complete(task.id, 'merged');
    expect(done).toMatchObject({ state: 'completed', result: 'merged' });
    const after = await town.agents.get(agent.id);
    expect(after.current_task).toBeNull();
    expect(after.tasks_completed).toBe(1);
    expect(await town.tasks.current('dev')).toBeNull();

    const second = (await town.tasks.assign('dev', 'second')).task;
    await town.tasks.fail(second.id, 'broke');
    expect((await town.tasks.get(second.id)).result).toBe('broke');
    expect((await town.agents.get(agent.id)).tasks_completed).toBe(1);

    expect((await town.tasks.list({ state: 'completed' })).map((t) => t.id)).toEqual([task.id]);
    const forConductor = (await town.tasks.assign('conductor', 'review the plan', { parentId: task.id }))
      .task;
    expect(forConductor).toMatchObject({ parent_id: task.id, assigned_to: CONDUCTOR_ID, tags: [] });
    expect(forConductor).toStrictEqual(await town.tasks.get(forConductor.id));
    expect((await town.tasks.pending()).map(({ task: t, agent: a }) => [t.id, a.name])).toEqual([
      [forConductor.id, 'conductor'],
    ]);
    expect((await town.tasks.list({ agent: 'dev' })).map((t) => t.id)).toEqual([task.id, second.id]);
  });

  it('sends every kind of message, peeks without taking, and receives with a timeout', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'reader', cli: 'claude' });
    const sender = await town.agents.register({ name: 'writer', cli: 'claude' });
    await town.messages.send({ to: 'reader', text: 'do x' });
    await town.messages.send({ to: 'reader', text: 'why?', kind: 'query', from: 'writer' });
    await town.messages.send({ to: 'reader', text: 'fyi', kind: 'info', from: sender.id });
    await town.messages.send({ to: 'reader', text: 'rejected: no tests', kind: 'ack', urgent: true });
    const view = await town.messages.peek('reader');
    expect(view).toMatchObject({ total: 4, urgent: 1, inflight: 0 });
    expect(view.messages.map((message) => message.type)).toEqual([
      'confirmation',
      'task',
      'query',
      'informational',
    ]);
    expect(view.messages[0]).toMatchObject({
      ack_type: { type: 'rejected', reason: 'no tests' },
      urgent: true,
    });
    expect(view.messages[2]?.from).toBe(sender.id);
    expect((await town.messages.peek('reader')).total).toBe(4);

    expect((await town.messages.receive(agent.id, 100))?.type).toBe('confirmation');
    expect((await town.messages.receive(agent.id, 100))?.type).toBe('task');
    setTimeout(() => void town.messages.send({ to: 'reader', text: 'late' }), 50);
    await town.messages.receive(agent.id, 100);
    await town.messages.receive(agent.id, 100);
    const late = await town.messages.receive(agent.id, 2000);
    expect(late).toMatchObject({ type: 'task', description: 'late' });
    expect(await town.messages.receive(agent.id, 50)).toBeNull();
    expect((await town.messages.history(3)).map((m) => m.type)).toEqual([
      'task',
      'confirmation',
      'informational',
    ]);
  });

  it('a failed round returns its actionable messages to the front of their queues', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'rounder', cli: 'claude' });
    await town.messages.send({ to: 'rounder', text: 'one' });
    await town.messages.send({ to: 'rounder', text: 'info', kind: 'info' });
    await town.messages.send({ to: 'rounder', text: 'hot', urgent: true });
    const round = await town.messages.takeRound(agent.id);
    expect(round.map((m) => m.type)).toEqual(['task', 'task', 'informational']);
    // Taking again while the round is open hands back the same messages.
    expect((await town.messages.takeRound(agent.id)).map((m) => m.id)).toEqual(round.map((m) => m.id));
    await town.messages.send({ to: 'rounder', text: 'newer' });
    const actionable = round.filter((m) => m.type === 'task').map((m) => m.id);
    expect(await town.messages.settleRound(agent.id, actionable)).toBe(2);
    const view = await town.messages.peek('rounder');
    expect(view.inflight).toBe(0);
    expect(view.messages.map((m) => (m.type === 'task' ? m.description : m.type))).toEqual([
      'hot',
      'one',
      'newer',
    ]);
    expect(view.urgent).toBe(1);
  });

  it('adds, lists, claims, assigns all and removes backlog tasks', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'taker', cli: 'claude' });
    const a = await town.backlog.add('alpha', { tags: ['ui'] });
    const b = await town.backlog.add('beta');
    const c = await town.backlog.add('gamma');
    expect((await town.backlog.list()).map((t) => t.description)).toEqual(['alpha', 'beta', 'gamma']);
    const claimed = await town.backlog.claimNext('taker', (task) => task.tags.includes('ui'));
    expect(claimed?.task.id).toBe(a.id);
    await town.backlog.remove(c.id);
    await expect(town.tasks.get(c.id)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    const all = await town.backlog.assignAll('taker');
    expect(all.tasks.map((t) => t.id)).toEqual([b.id]);
    expect(await town.backlog.list()).toEqual([]);
    expect(await town.backlog.claimNext('taker')).toBeNull();
    const started = await town.backlog.add('start me');
    const taker = await town.agents.resolve('taker');
    const claimedAndStarted = await town.backlog.claimNext(taker.id, undefined, { start: true });
    expect(claimedAndStarted).toMatchObject({
      task: { id: started.id, state: 'running' },
      agent: { name: 'taker' },
    });
    expect((await town.agents.get(taker.id)).current_task).toBe(started.id);
    expect((await town.tasks.complete(started.id)).state).toBe('completed');
    const inbox = await town.messages.peek('taker');
    expect(inbox.messages.map((m) => (m.type === 'task_assign' ? m.task_id : ''))).toEqual([a.id, b.id]);
  });

  it('claims the oldest task a filter accepts, past a page of others, and can start it', async () => {
    const { town } = ctx;
    const picky = await town.agents.register({ name: 'picky', cli: 'claude' });
    await town.backlog.addMany(Array.from({ length: 60 }, (_, i) => ({ description: `other ${i}` })));
    const docs = await town.backlog.addMany([
      { description: 'write the guide', tags: ['docs'] },
      { description: 'fix the typos', tags: ['docs'] },
    ]);
    const wantsDocs = (task: Task) => task.tags.includes('docs');

    expect(await town.backlog.claimNext('picky', () => false)).toBeNull();
    expect(await town.backlog.length()).toBe(62);

    const claimed = await town.backlog.claimNext('picky', wantsDocs, { start: true });
    expect(claimed).toMatchObject({ task: { id: docs[0]?.id, state: 'running' }, agent: { name: 'picky' } });
    expect((await town.agents.get(picky.id)).current_task).toBe(docs[0]?.id);
    // Started at once, as an unfiltered claim with start: no task_assign message left to act on.
    expect((await town.messages.peek('picky')).total).toBe(0);
    expect(await town.backlog.length()).toBe(61);

    const assigned = await town.backlog.claimNext('picky', wantsDocs);
    expect(assigned?.task).toMatchObject({ id: docs[1]?.id, state: 'assigned', assigned_to: picky.id });
    expect((await town.messages.peek('picky')).messages).toMatchObject([
      { type: 'task_assign', task_id: docs[1]?.id },
    ]);
    expect(await town.backlog.claimNext('picky', wantsDocs)).toBeNull();
    expect(await town.backlog.length()).toBe(60);
  });

  it('adds many tasks at once and drains the backlog one round trip per task', async () => {
    const { town } = ctx;
    const worker = await town.agents.register({ name: 'drainer', cli: 'claude' });
    await expect(town.backlog.addMany([{ description: 'ok' }, { description: ' ' }])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await town.backlog.length()).toBe(0);
    const added = await town.backlog.addMany([
      { description: 'one', tags: 'a' },
      { description: 'two' },
      { description: 'three' },
    ]);
    expect(added.map((task) => [task.description, task.state])).toEqual([
      ['one', 'pending'],
      ['two', 'pending'],
      ['three', 'pending'],
    ]);
    const first = await town.backlog.claimNext(worker.id, undefined, { start: true });
    const done: string[] = [];
    let current = first?.task ?? null;
    while (current) {
      const { task, next } = await town.tasks.completeAndClaimNext(current.id, `did ${current.description}`);
      expect(task.state).toBe('completed');
      done.push(task.description);
      if (next) expect(next).toMatchObject({ state: 'running', assigned_to: worker.id });
      current = next;
    }
    expect(done).toEqual(['one', 'two', 'three']);
    const after = await town.agents.get(worker.id);
    expect(after).toMatchObject({ tasks_completed: 3, current_task: null });
  });

  it('answers every task transition and claim with the task exactly as stored', async () => {
    const { town } = ctx;
    const alice = await town.agents.register({ name: 'asserter', cli: 'claude' });
    const bob = await town.agents.register({ name: 'checker', cli: 'claude' });
    const asStored = async (task: Task | null | undefined) => {
      if (!task) throw new Error('expected a task');
      expect(task).toStrictEqual(await town.tasks.get(task.id));
      return task;
    };
    const [first, second, third] = await town.backlog.addMany([
      { description: 'one', tags: 'x' },
      { description: 'two' },
      { description: 'three' },
    ]);

    const claimed = await asStored((await town.backlog.claim(first!.id, alice.id)).task);
    expect(claimed).toMatchObject({ state: 'assigned', assigned_to: alice.id });
    const started = await asStored(await town.tasks.start(claimed.id));
    expect(started.started_at).not.toBeNull();
    const requeued = await asStored(await town.tasks.requeue(started.id));
    expect(requeued).toMatchObject({ state: 'pending', assigned_to: null, started_at: null });
    await asStored((await town.tasks.reassign(requeued.id, bob.id)).task);
    await asStored(await town.tasks.fail(requeued.id, 'broke'));

    const next = await asStored((await town.backlog.claimNext(alice.id, undefined, { start: true }))?.task);
    expect(next.id).toBe(second!.id);
    const { task: completed, next: after } = await town.tasks.completeAndClaimNext(next.id, 'done');
    await asStored(completed);
    expect(completed).toMatchObject({ state: 'completed', result: 'done' });
    expect((await asStored(after)).id).toBe(third!.id);
    await asStored(await town.tasks.cancel(third!.id, 'not needed'));
    const last = await town.backlog.add('four');
    await asStored((await town.backlog.claimNext(bob.id, (task) => task.id === last.id))?.task);
  });

  it('follows new events exactly once each', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'noisy', cli: 'claude' });
    const controller = new AbortController();
    const seen: TownEvent[] = [];
    const following = (async () => {
      for await (const event of town.events.follow({ signal: controller.signal, blockMs: 100 })) {
        seen.push(event);
        if (seen.length === 3) controller.abort();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await town.agents.interrupt('noisy');
    await town.agents.resume('noisy');
    await town.backlog.add('x');
    await following;
    expect(seen.map((event) => event.event_type)).toEqual([
      'agent_interrupted',
      'agent_resumed',
      'task_created',
    ]);
    expect(new Set(seen.map((event) => event.id)).size).toBe(3);
  });

  it('resets agents only, or everything', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'temp', cli: 'claude' });
    await town.tasks.assign('temp', 'kept task');
    await town.backlog.add('kept backlog');
    await town.reset({ agentsOnly: true });
    expect(await town.agents.list()).toEqual([]);
    expect(await town.tasks.list()).toHaveLength(2);
    await town.reset();
    expect(await town.tasks.list()).toEqual([]);
    expect(await ctx.redis.client.keys('tt:{work}:*')).toEqual([]);
  });
});
