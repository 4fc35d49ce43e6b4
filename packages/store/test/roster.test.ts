import { describe, expect, it, vi } from 'vitest';
import { exportTown, importTown, type Roster, Town } from '../src/index.js';
import { useTown } from './support.js';

/**
 * A Town keeps its last agent listing until the roster revision moves. These tests hold it to never
 * serving a listing older than a write that has returned, from this Town or from another connection.
 */
describe('agent listing cache', () => {
  const ctx = useTown('roster');

  /** The listing as a Town with nothing cached reads it. */
  async function freshListing(): Promise<Roster> {
    const other = await Town.connect({ url: ctx.redis.url, town: 'roster' });
    try {
      return await other.agents.list();
    } finally {
      await other.close();
    }
  }

  /** Runs a write and checks the cached listing moved with it and matches a fresh read. */
  async function expectListingFollows(write: () => Promise<unknown>): Promise<void> {
    const before = await ctx.town.agents.list();
    await write();
    const after = await ctx.town.agents.list();
    expect(after).not.toEqual(before);
    expect(after).toEqual(await freshListing());
  }

  it('shows each of this Town’s own writes as soon as it returns', async () => {
    const { town } = ctx;
    let id = '';
    await expectListingFollows(async () => {
      id = (await town.agents.register({ name: 'worker', cli: 'claude' })).id;
    });
    await expectListingFollows(() => town.messages.send({ to: 'worker', text: 'hello' }));
    await expectListingFollows(() => town.messages.send({ to: 'worker', text: 'now', urgent: true }));
    await expectListingFollows(() => town.messages.receive(id, 1000));
    await expectListingFollows(() => town.messages.takeRound(id));
    await expectListingFollows(() => town.messages.settleRound(id));
    let taskId = '';
    await expectListingFollows(async () => {
      taskId = (await town.tasks.assign('worker', 'write the docs')).task.id;
    });
    await expectListingFollows(() => town.tasks.start(taskId));
    expect((await town.agents.list())[0]).toMatchObject({
      current_task: taskId,
      current_scope: 'write the docs',
    });
    await expectListingFollows(() => town.agents.recordRound(id));
    await expectListingFollows(() => town.agents.transition('worker', 'paused'));
    await expectListingFollows(() => town.agents.transition('worker', 'stopped'));
    await expectListingFollows(() => town.agents.prune());
    expect(await town.agents.list()).toEqual([]);
  });

  it('shows writes made through another connection', async () => {
    const other = await Town.connect({ url: ctx.redis.url, town: 'roster' });
    try {
      await expectListingFollows(() => other.agents.register({ name: 'remote', cli: 'claude' }));
      await expectListingFollows(() => other.messages.send({ to: 'remote', text: 'hi' }));
      await expectListingFollows(() => other.agents.transition('remote', 'stopped'));
      expect((await ctx.town.agents.list()).map((agent) => agent.state)).toEqual(['stopped']);
    } finally {
      await other.close();
    }
  });

  it('shows a receive elsewhere soon after, and at once when the receiving Town closes', async () => {
    const { town } = ctx;
    const receiver = await Town.connect({ url: ctx.redis.url, town: 'roster' });
    const inboxLength = async () => (await town.agents.list())[0]?.inbox_len;
    try {
      const { id } = await town.agents.register({ name: 'worker', cli: 'claude' });
      await town.messages.send({ to: 'worker', text: 'one' });
      await town.messages.send({ to: 'worker', text: 'two' });
      expect(await inboxLength()).toBe(2);
      await receiver.messages.receive(id, 1000);
      await vi.waitFor(async () => expect(await inboxLength()).toBe(1), { timeout: 1000, interval: 5 });
      await receiver.messages.receive(id, 1000);
    } finally {
      await receiver.close();
    }
    expect(await inboxLength()).toBe(0);
  });

  it('hands every caller the same listing while nothing changes', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'a', cli: 'claude' });
    const listings = await Promise.all(Array.from({ length: 10 }, () => town.agents.list()));
    for (const listing of listings) expect(listing).toBe(listings[0]);
    expect(await town.agents.list()).toBe(listings[0]);
    expect(Object.isFrozen(listings[0])).toBe(true);
    await town.agents.register({ name: 'b', cli: 'claude' });
    const after = await town.agents.list();
    expect(after).not.toBe(listings[0]);
    expect(after.map((agent) => agent.name)).toEqual(['a', 'b']);
  });

  it('asks Redis for the revision once per event-loop turn, however many callers', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'a', cli: 'claude' });
    await town.agents.list();
    const getCalls = async () => {
      const stats = await ctx.redis.client.info('commandstats');
      return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    };
    const before = await getCalls();
    const listings = await Promise.all(Array.from({ length: 20 }, () => town.agents.list()));
    expect(await getCalls()).toBe(before + 1);
    expect(new Set(listings).size).toBe(1);
    // A caller in a later turn asks again, and so sees a write made in between.
    await town.agents.register({ name: 'b', cli: 'claude' });
    expect((await town.agents.list()).map((agent) => agent.name)).toEqual(['a', 'b']);
  });

  it('shows a snapshot import and a reset', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'saved', cli: 'claude' });
    const snapshot = await exportTown(town);
    await expectListingFollows(() => town.reset());
    expect(await town.agents.list()).toEqual([]);
    await expectListingFollows(() => importTown(town, snapshot));
    expect((await town.agents.list()).map((agent) => agent.name)).toEqual(['saved']);
  });

  it('never reuses a revision after the data is flushed', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'before', cli: 'claude' });
    expect((await town.agents.list()).map((agent) => agent.name)).toEqual(['before']);
    // Same number of writes since the flush as before it: a plain counter would repeat its value.
    await ctx.redis.client.flushall();
    await town.agents.register({ name: 'after', cli: 'claude' });
    expect((await town.agents.list()).map((agent) => agent.name)).toEqual(['after']);
  });

  it('a write that fails leaves the revision where it was', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'only', cli: 'claude' });
    const listing = await town.agents.list();
    await expect(town.agents.register({ name: 'ONLY', cli: 'claude' })).rejects.toMatchObject({
      code: 'AGENT_EXISTS',
    });
    await expect(town.agents.transition('only', 'cold')).rejects.toBeDefined();
    expect(await town.agents.list()).toBe(listing);
  });
});
