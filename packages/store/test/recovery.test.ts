import { CONDUCTOR_ID } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { dumpKeys, useTown } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leases and recovery', () => {
  const ctx = useTown('recovery', { leaseMs: 150, spawnGraceMs: 150 });

  it('an agent that dies mid-round gets every in-flight message back, in order', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'worker', cli: 'claude' });
    await town.tasks.assign('worker', 'first');
    await town.messages.send({ to: 'worker', text: 'urgent question', kind: 'query', urgent: true });
    await town.messages.send({ to: 'worker', text: 'second', kind: 'task' });
    await town.messages.send({ to: 'worker', text: 'fyi', kind: 'info' });
    await town.agents.heartbeat(agent.id);
    const round = await town.messages.takeRound(agent.id, 2);
    expect(round.map((message) => message.type)).toEqual(['query', 'task_assign']);
    const [task] = await town.tasks.list({ agent: agent.id });
    await town.tasks.start(task!.id);

    // A message arrives while the round runs; then the process dies without settling.
    await town.messages.send({ to: 'worker', text: 'late', kind: 'task' });
    await sleep(300);
    expect(await town.recovery.expiredLeases()).toEqual([agent.id]);

    const result = await town.recovery.recover();
    expect(result.recovered.map((a) => a.id)).toEqual([agent.id]);
    expect(result.messagesReturned).toBe(2);
    expect(result.tasksRequeued).toBe(1);

    const after = await town.agents.get(agent.id);
    expect(after.state).toBe('stopped');
    expect(after.current_task).toBeNull();
    expect((await town.tasks.get(task!.id)).state).toBe('assigned');

    const view = await town.messages.peek(agent.id);
    expect(view.inflight).toBe(0);
    expect(view.urgent).toBe(1);
    expect(
      view.messages.map((message) =>
        message.type === 'task'
          ? message.description
          : message.type === 'query'
            ? message.question
            : message.type,
      ),
    ).toEqual(['urgent question', 'task_assign', 'second', 'informational', 'late']);

    // Running recovery again changes nothing.
    const before = await dumpKeys(ctx.redis.client);
    const again = await town.recovery.recover();
    expect(again.recovered).toEqual([]);
    const afterDump = await dumpKeys(ctx.redis.client);
    expect(afterDump).toEqual(before);
  });

  it('a live agent whose lease entry is gone (evicted, deleted by hand) is recovered too, once silent', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'unleased', cli: 'claude' });
    await town.agents.heartbeat(agent.id);
    await town.tasks.assign('unleased', 'held while the lease vanishes');
    const [held] = await town.messages.takeRound(agent.id, 1);
    const [task] = await town.tasks.list({ agent: agent.id });
    await town.tasks.start(task!.id);
    await ctx.redis.client.zrem(town.context.keys.leases, agent.id);

    // Not while it could still be alive: a lease would not have run out yet either.
    expect(await town.recovery.unleasedAgents()).toEqual([]);
    expect((await town.recovery.recover()).recovered).toEqual([]);
    await sleep(300);
    expect(await town.recovery.expiredLeases()).toEqual([]);
    expect(await town.recovery.unleasedAgents()).toEqual([agent.id]);

    const result = await town.recovery.recover();
    expect(result.recovered.map((a) => a.id)).toEqual([agent.id]);
    expect(result).toMatchObject({ messagesReturned: 1, tasksRequeued: 1 });
    expect((await town.agents.get(agent.id)).state).toBe('stopped');
    expect((await town.messages.peek(agent.id)).messages.map((message) => message.id)).toEqual([held!.id]);
    expect(await town.recovery.unleasedAgents()).toEqual([]);
  });

  it('an agent brought back from a terminal state holds a lease, whatever brought it back', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'revived', cli: 'claude' });
    await town.agents.kill('revived');
    expect(await ctx.redis.client.zscore(town.context.keys.leases, agent.id)).toBeNull();
    await town.agents.transition('revived', 'idle');
    expect(Number(await ctx.redis.client.zscore(town.context.keys.leases, agent.id))).toBeGreaterThan(
      Date.now(),
    );
  });

  it('a heartbeating agent is never recovered, and a killed runtime learns it must stop', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'alive', cli: 'claude' });
    for (let i = 0; i < 5; i++) {
      expect(await town.agents.heartbeat(agent.id)).toEqual({ state: 'starting', stopRequested: null });
      await sleep(60);
    }
    expect((await town.recovery.recover()).recovered).toEqual([]);
    await town.agents.kill('alive');
    expect(await town.agents.heartbeat(agent.id)).toEqual({ state: 'stopped', stopRequested: 'kill' });
  });

  it('a start that comes after the task was reclaimed to the backlog is refused; the task stays claimable', async () => {
    const { town } = ctx;
    const slow = await town.agents.register({ name: 'slow', cli: 'claude' });
    const task = await town.backlog.add('the job');
    await town.backlog.claimNext(slow.id);
    // Its runtime saw the task assigned to it, then froze past its lease before starting it.
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    await sleep(300);
    expect((await town.recovery.recover()).recovered.map((a) => a.id)).toEqual([slow.id]);
    await town.recovery.reclaim({ toBacklog: true, from: 'slow' });

    // Were it let through, the task would run owned by nobody: no lease, no reclaim, no orphan listing.
    await expect(town.tasks.start(task.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await town.tasks.get(task.id)).toMatchObject({ state: 'pending', assigned_to: null });
    const heir = await town.agents.register({ name: 'heir', cli: 'claude' });
    const claimed = await town.backlog.claimNext(heir.id, undefined, { start: true });
    expect(claimed?.task).toMatchObject({ id: task.id, state: 'running', assigned_to: heir.id });
  });

  it('reclaim without a destination only lists; with one it moves the work', async () => {
    const { town } = ctx;
    const dead = await town.agents.register({ name: 'dead', cli: 'claude' });
    const heir = await town.agents.register({ name: 'heir', cli: 'claude' });
    const { task } = await town.tasks.assign('dead', 'unfinished work');
    await town.messages.send({ to: 'dead', text: 'plain task text' });
    await town.messages.send({ to: 'dead', text: 'a question', kind: 'query' });
    await town.agents.kill('dead');

    const before = await dumpKeys(ctx.redis.client);
    const listed = await town.recovery.reclaim();
    expect(listed.destination).toEqual({ kind: 'listed' });
    // The task, the plain task text and the question: three items, as moving them counts.
    expect(listed.reclaimed).toBe(3);
    expect(listed.work[0]?.messages).toHaveLength(3);
    expect(listed.work[0]?.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(await dumpKeys(ctx.redis.client)).toEqual(before);

    const toBacklog = await town.recovery.reclaim({ toBacklog: true });
    expect(toBacklog.reclaimed).toBe(2);
    const backlog = await town.backlog.list();
    expect(backlog.map((t) => t.description)).toEqual(['unfinished work', 'plain task text']);
    expect(backlog.every((t) => t.state === 'pending' && t.assigned_to === null)).toBe(true);
    // The question cannot live in the backlog: it stays with the dead agent, not dropped.
    const left = await town.messages.peek(dead.id);
    expect(left.messages.map((m) => m.type)).toEqual(['query']);

    const toHeir = await town.recovery.reclaim({ to: 'heir' });
    expect(toHeir.reclaimed).toBe(1);
    expect((await town.messages.peek(heir.id)).messages.map((m) => m.type)).toEqual(['query']);
    expect((await town.messages.peek(dead.id)).total).toBe(0);
  });

  it('orphan tasks are listed, requeued, cancelled or deleted', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'gone', cli: 'claude' });
    const a = (await town.tasks.assign('gone', 'a')).task;
    const b = (await town.tasks.assign('gone', 'b')).task;
    const c = (await town.tasks.assign('gone', 'c')).task;
    const toConductor = (await town.tasks.assign('conductor', 'for the conductor')).task;
    expect(toConductor.assigned_to).toBe(CONDUCTOR_ID);
    await town.agents.kill('gone');
    expect((await town.recovery.reclaimOrphans('list')).map((o) => o.reason)).toEqual([
      'agent_terminal',
      'agent_terminal',
      'agent_terminal',
    ]);
    await town.agents.prune();
    const orphans = await town.recovery.orphanTasks();
    expect(orphans.map((o) => [o.task.id, o.reason])).toEqual(
      expect.arrayContaining([
        [a.id, 'agent_missing'],
        [b.id, 'agent_missing'],
        [c.id, 'agent_missing'],
      ]),
    );
    await town.tasks.cancel(b.id, 'by hand');
    await town.tasks.delete(c.id);
    const handled = await town.recovery.reclaimOrphans('to_backlog');
    expect(handled.map((o) => o.task.id)).toEqual([a.id]);
    expect((await town.backlog.list()).map((t) => t.id)).toEqual([a.id]);
    await expect(town.tasks.get(c.id)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });
});
