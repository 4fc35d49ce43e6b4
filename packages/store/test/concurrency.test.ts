import { isTinytownError, type Message, type Task } from '@tinytown/core';
import { useTestRedis } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Town } from '../src/index.js';

describe('concurrency, with real concurrent clients', () => {
  const redis = useTestRedis();
  const opened: Town[] = [];
  const open = async (count: number) => {
    const towns = await Promise.all(
      Array.from({ length: count }, () => Town.connect({ url: redis.current.url, town: 'race' })),
    );
    opened.push(...towns);
    return towns;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((town) => town.close()));
  });

  it('50 concurrent claimers of one backlog task: exactly one wins', async () => {
    const clients = await open(50);
    const setup = clients[0]!;
    const agents = await Promise.all(
      Array.from({ length: 50 }, (_, i) => setup.agents.register({ name: `claimer-${i}`, cli: 'claude' })),
    );
    const task = await setup.backlog.add('the one task');

    const outcomes = await Promise.allSettled(
      clients.map((client, i) => client.backlog.claim(task.id, agents[i]!.name)),
    );

    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    for (const loser of losers) {
      expect(isTinytownError((loser as PromiseRejectedResult).reason, 'NOT_IN_BACKLOG')).toBe(true);
    }
    const winner = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<Town['backlog']['claim']>>>)
      .value;
    const stored = await setup.tasks.get(task.id);
    expect(stored.state).toBe('assigned');
    expect(stored.assigned_to).toBe(winner.agent.id);
    expect(await setup.backlog.list()).toEqual([]);

    // Exactly one task_assign message exists in the whole town, in the winner's inbox.
    const inboxes = await setup.agents.list();
    expect(inboxes.reduce((sum, agent) => sum + agent.inbox_len, 0)).toBe(1);
    const view = await setup.messages.peek(winner.agent.id);
    expect(view.messages).toMatchObject([{ type: 'task_assign', task_id: task.id }]);
    const assignedEvents = (await setup.events.recent({ limit: 100 })).filter(
      (event) => event.event_type === 'task_assigned',
    );
    expect(assignedEvents).toHaveLength(1);
  });

  it('10 concurrent senders x 1,000 messages: each arrives once, in order per sender, urgent first', async () => {
    const senders = await open(10);
    const receiver = senders[0]!;
    const target = await receiver.agents.register({ name: 'inbox-owner', cli: 'claude' });
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 1000; i++) {
          await sender.messages.send({ to: target.id, text: `${s}:${i}`, urgent: i % 10 === 0 });
        }
      }),
    );

    const received: Message[] = [];
    for (;;) {
      const round = await receiver.messages.takeRound(target.id, 500);
      if (round.length === 0) break;
      received.push(...round);
      await receiver.messages.settleRound(target.id);
    }

    expect(received).toHaveLength(10_000);
    expect(new Set(received.map((message) => message.id)).size).toBe(10_000);
    const texts = received.map((message) => (message.type === 'task' ? message.description : ''));
    expect(new Set(texts).size).toBe(10_000);

    const firstNormal = received.findIndex((message) => message.urgent !== true);
    expect(firstNormal).toBe(1000);
    expect(received.slice(firstNormal).every((message) => message.urgent !== true)).toBe(true);

    for (let s = 0; s < 10; s++) {
      for (const part of [received.slice(0, firstNormal), received.slice(firstNormal)]) {
        const order = part
          .map((message) => (message.type === 'task' ? message.description.split(':') : []))
          .filter(([sender]) => sender === String(s))
          .map(([, index]) => Number(index));
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
  });

  it('50 concurrent claimNext loops take every task exactly once', async () => {
    const clients = await open(50);
    const setup = clients[0]!;
    const agents = await Promise.all(
      Array.from({ length: 50 }, (_, i) => setup.agents.register({ name: `next-${i}`, cli: 'claude' })),
    );
    for (let i = 0; i < 200; i++) await setup.backlog.add(`job ${i}`, { tags: i % 2 ? 'odd' : 'even' });
    const taken = await Promise.all(
      clients.map(async (client, i) => {
        const mine: string[] = [];
        const accepts = i % 2 === 0 ? undefined : (task: Task) => task.tags.includes('odd');
        for (;;) {
          const claim = await client.backlog.claimNext(agents[i]!.id, accepts);
          if (!claim) return mine;
          mine.push(claim.task.id);
        }
      }),
    );
    const all = taken.flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(await setup.backlog.length()).toBe(0);
  });

  it('concurrent assign-all and claims never hand one task to two agents', async () => {
    const clients = await open(6);
    const setup = clients[0]!;
    const agents = await Promise.all(
      Array.from({ length: 6 }, (_, i) => setup.agents.register({ name: `taker-${i}`, cli: 'claude' })),
    );
    const tasks: Task[] = [];
    for (let i = 0; i < 60; i++) tasks.push(await setup.backlog.add(`job ${i}`));
    await Promise.all(
      clients.map((client, i) =>
        i % 2 === 0
          ? client.backlog.assignAll(agents[i]!.id)
          : Promise.allSettled(tasks.map((task) => client.backlog.claim(task.id, agents[i]!.id))),
      ),
    );
    const stored = await setup.tasks.getMany(tasks.map((task) => task.id));
    expect(stored.every((task) => task.state === 'assigned')).toBe(true);
    const messages = (await Promise.all(agents.map((agent) => setup.messages.peek(agent.id, 1000)))).flatMap(
      (view) => view.messages,
    );
    expect(messages).toHaveLength(60);
    expect(
      new Set(messages.map((message) => (message.type === 'task_assign' ? message.task_id : ''))).size,
    ).toBe(60);
  });
});
