import { isTinytownError, newId } from '@tinytown/core';
import { afterEach, describe, expect, it } from 'vitest';
import { exportTown, importTown, Town, type TownSnapshot } from '../src/index.js';
import { item, mission, watch } from './mission-fixtures.js';
import { dumpKeys, useTown } from './support.js';

const now = () => new Date().toISOString();

describe('town snapshots', () => {
  const ctx = useTown('source');
  let target: Town | undefined;

  /** A second town on the same server: where snapshots are restored to. */
  async function restored(): Promise<Town> {
    target ??= await Town.connect({ url: ctx.redis.url, town: 'restored' });
    return target;
  }

  afterEach(async () => {
    await target?.close();
    target = undefined;
  });

  /** Every key of a town with its content, keyed relative to the town. */
  async function townKeys(name: string): Promise<Record<string, unknown>> {
    const prefix = `tt:{${name}}:`;
    const dump = await dumpKeys(ctx.redis.client, (key) => !key.startsWith(prefix));
    return Object.fromEntries(Object.entries(dump).map(([key, value]) => [key.slice(prefix.length), value]));
  }

  /**
   * A town with something in every part a snapshot carries: agents with queues, tasks, the backlog, the
   * conductor's inbox, an active mission with items, watches, notes, live tasks and a held lease, a
   * completed mission, and events on the town's and the agents' streams.
   */
  async function populate() {
    const { town } = ctx;
    const alice = await town.agents.register({ name: 'alice', cli: 'claude', role: 'backend' });
    const bob = await town.agents.register({ name: 'bob', cli: 'codex' });
    await town.tasks.assign('alice', 'Write the migration');
    await town.backlog.add('Document the API', { tags: ['docs'] });
    await town.messages.send({ to: 'bob', text: 'ping' });
    await town.messages.send({ to: 'bob', text: 'now', urgent: true });
    await town.messages.send({ to: 'conductor', text: 'status?', from: 'alice' });

    const active = mission();
    const first = item(active.id, 0, { status: 'ready' });
    const second = item(active.id, 1, { depends_on: [first.id] });
    await town.missions.create(active, [first, second], ['Mission started']);
    const token = (await town.missions.acquireLease(active.id, 60_000)) ?? 0;
    const taskId = newId();
    const w = watch(active.id, first.id, {
      seen: { checks: ['run:1:failure'], comments: [], acted_at_sha: 'abc' },
    });
    const wakeAt = Date.now() + 3_600_000;
    await town.missions.commit(active.id, token, {
      items: [{ ...first, status: 'assigned', assigned_to: alice.id, task_ids: [taskId] }],
      createTasks: [
        {
          id: taskId,
          description: '[Mission Work Item] first',
          tags: [`mission:${active.id}`],
          assignTo: alice.id,
        },
      ],
      watches: [w],
      watchDue: [{ id: w.id, atMs: wakeAt + 1_000 }],
      wakeAtMs: wakeAt,
      events: ['Assigned item 0 to alice'],
    });
    await town.missions.addNote(
      {
        id: newId(),
        mission_id: active.id,
        sender: 'conductor',
        body: 'focus on the API first',
        created_at: now(),
        processed_at: null,
      },
      'Note from conductor',
    );

    const done = mission();
    await town.missions.create(done, [item(done.id, 0)], ['Mission started']);
    const doneToken = (await town.missions.acquireLease(done.id, 60_000)) ?? 0;
    await town.missions.commit(done.id, doneToken, {
      mission: { ...done, state: 'completed', updated_at: now() },
      active: false,
      wakeAtMs: null,
      events: ['Mission completed'],
    });
    await town.missions.releaseLease(done.id, doneToken);
    return { alice, bob, active, done, token };
  }

  /** Everything the public API and the dispatcher's indexes say about a mission. */
  async function missionView(town: Town, id: string) {
    const { keys, redis } = town.context;
    return {
      record: await town.missions.get(id),
      snapshot: await town.missions.snapshot(id),
      events: await town.missions.events(id, 1000),
      wake: await redis.zscore(keys.missionsWake, id),
      active: await redis.sismember(keys.missionsActive, id),
      pendingNotes: (await redis.smembers(keys.missionPendingNotes(id))).sort(),
      fence: await redis.get(keys.missionFence(id)),
    };
  }

  it('carries missions and event streams through export and import into another town', async () => {
    const { active, done, alice, bob } = await populate();
    const source = ctx.town;
    const snapshot = JSON.parse(JSON.stringify(await exportTown(source))) as TownSnapshot;
    expect(snapshot.version).toBe(2);
    expect(snapshot.missions.map((m) => m.mission.id)).toEqual([active.id, done.id]);

    const town = await restored();
    expect(await importTown(town, snapshot)).toMatchObject({
      agents: 2,
      tasks: 3,
      backlog: 1,
      missions: 2,
      events: [snapshot.events.town, ...Object.values(snapshot.events.agents)].flat().length,
    });

    // The town's other parts come back too.
    expect((await town.agents.list()).map((a) => a.name)).toEqual(['alice', 'bob']);
    expect((await town.backlog.list()).map((t) => t.description)).toEqual(['Document the API']);
    expect(await town.messages.peek('bob')).toEqual(await source.messages.peek('bob'));

    // Missions read back equal through the API, indexes included.
    expect(await town.missions.list()).toEqual(await source.missions.list());
    expect(await town.missions.list({ activeOnly: true })).toEqual(
      await source.missions.list({ activeOnly: true }),
    );
    for (const id of [active.id, done.id]) {
      const original = await missionView(source, id);
      expect(await missionView(town, id)).toEqual(original);
    }
    const view = await missionView(town, active.id);
    expect(view.snapshot?.items.map((i) => i.status)).toEqual(['assigned', 'pending']);
    expect(view.snapshot?.watches[0]?.seen.checks).toEqual(['run:1:failure']);
    expect(view.snapshot?.notes.map((n) => n.body)).toEqual(['focus on the API first']);
    expect(view.snapshot?.liveTaskIds).toHaveLength(1);
    expect(view.pendingNotes).toHaveLength(1);
    expect(view.active).toBe(1);
    expect(await missionView(town, done.id)).toMatchObject({ active: 0, wake: null });
    expect(await town.context.redis.zrange(town.context.keys.watchesDue, 0, -1, 'WITHSCORES')).toEqual(
      await source.context.redis.zrange(source.context.keys.watchesDue, 0, -1, 'WITHSCORES'),
    );
    expect(await town.missions.due(Date.now() + 7_200_000)).toEqual(
      await source.missions.due(Date.now() + 7_200_000),
    );

    // The source still holds its lease on the active mission; the restored one is free to take, and
    // its first token is above every token the source handed out.
    const lease = (t: Town, id: string) => t.context.redis.exists(t.context.keys.missionLease(id));
    expect(await lease(source, active.id)).toBe(1);
    expect(await lease(town, active.id)).toBe(0);
    expect(await lease(town, done.id)).toBe(0);
    const fence = Number(await source.context.redis.get(source.context.keys.missionFence(active.id)));
    expect(await town.missions.acquireLease(active.id, 10_000)).toBe(fence + 1);

    // Event streams keep their entry ids and fields.
    const stream = (t: Town, key: string) => t.context.redis.xrange(key, '-', '+');
    const townStream = await stream(source, source.context.keys.events);
    expect(townStream.length).toBeGreaterThan(5);
    expect(await stream(town, town.context.keys.events)).toEqual(townStream);
    const aliceStream = await stream(source, source.context.keys.agentEvents(alice.id));
    expect(aliceStream.length).toBeGreaterThan(0);
    expect(await stream(town, town.context.keys.agentEvents(alice.id))).toEqual(aliceStream);
    expect(await stream(town, town.context.keys.agentEvents(bob.id))).toEqual(
      await stream(source, source.context.keys.agentEvents(bob.id)),
    );
    expect(await town.events.recent({ limit: 1000 })).toEqual(await source.events.recent({ limit: 1000 }));

    // New events land after the restored ones.
    await town.tasks.assign('alice', 'After the restore');
    const [newest] = await town.events.recent({ limit: 1 });
    expect(newest?.event_type).toBe('task_assigned');
    const appended = await town.context.redis.xrange(
      town.context.keys.events,
      `(${townStream.at(-1)?.[0]}`,
      '+',
    );
    expect(appended.length).toBeGreaterThan(0);
    expect(await stream(town, town.context.keys.events)).toEqual([...townStream, ...appended]);
  });

  it('a restore over the town it came from never moves a mission fence backwards', async () => {
    const { town } = ctx;
    const m = mission();
    await town.missions.create(m, []);
    const saved = (await town.missions.acquireLease(m.id, 60_000)) ?? 0;
    const snapshot = await exportTown(town);
    // Ticks after the save hand out higher tokens; one of them is still held when the restore runs.
    const later = (await town.missions.acquireLease(m.id, 60_000, { steal: true })) ?? 0;
    const held = (await town.missions.acquireLease(m.id, 60_000, { steal: true })) ?? 0;
    expect(held).toBeGreaterThan(later);
    expect(later).toBeGreaterThan(saved);

    await importTown(town, snapshot, { replace: true });
    const next = await town.missions.acquireLease(m.id, 60_000);
    expect(next).toBeGreaterThan(held);
    await expect(town.missions.commit(m.id, held, { events: ['stale'] })).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
  });

  it('restores a version 1 snapshot (no missions, no events)', async () => {
    await populate();
    const { missions: _missions, events: _events, ...rest } = await exportTown(ctx.town);
    const v1 = JSON.parse(JSON.stringify({ ...rest, version: 1 })) as unknown;
    const town = await restored();
    expect(await importTown(town, v1)).toMatchObject({ agents: 2, tasks: 3, missions: 0, events: 0 });
    expect((await town.agents.list()).map((a) => a.name)).toEqual(['alice', 'bob']);
    expect(await town.missions.list()).toEqual([]);
    const keys = Object.keys(await townKeys('restored'));
    expect(keys.filter((key) => key.startsWith('mission') || key.startsWith('events'))).toEqual([]);
  });

  it('refuses a town that holds only missions unless replacing it', async () => {
    await populate();
    const snapshot = await exportTown(ctx.town);
    const town = await restored();
    await town.missions.create(mission(), []);
    const before = await townKeys('restored');
    await expect(importTown(town, snapshot)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message:
        'town restored already has 0 agents, 0 tasks and 1 mission; restore with --force to replace them',
      details: { field: 'town' },
    });
    expect(await townKeys('restored')).toEqual(before);
    await importTown(town, snapshot, { replace: true });
    expect((await town.missions.list()).map((m) => m.id)).toEqual(snapshot.missions.map((m) => m.mission.id));
  });

  it('a malformed snapshot is refused with a clear error and writes nothing', async () => {
    await populate();
    const good = JSON.parse(JSON.stringify(await exportTown(ctx.town))) as TownSnapshot;
    const town = await restored();
    const bad = (edit: (snapshot: TownSnapshot & Record<string, unknown>) => void): unknown => {
      const copy = structuredClone(good) as TownSnapshot & Record<string, unknown>;
      edit(copy);
      return copy;
    };
    const cases: [unknown, RegExp][] = [
      [
        bad((s) => {
          const first = s.missions[0]?.items[0] as unknown as Record<string, unknown>;
          first.status = 'bogus';
        }),
        /^snapshot\.missions\[0\]\.items\[0\]\.status: /,
      ],
      [bad((s) => Object.assign(s, { missions: { not: 'a list' } })), /^snapshot\.missions: /],
      [bad((s) => Object.assign(s, { missions: undefined })), /^snapshot\.missions: /],
      [bad((s) => s.missions.push(structuredClone(s.missions[0]!))), /appears twice/],
      [
        bad((s) => {
          const other = s.missions[1]?.mission.id ?? '';
          Object.assign(s.missions[0]?.watches[0] ?? {}, { mission_id: other });
        }),
        /^snapshot\.missions\[0\]\.watches\[0\]\.mission_id: belongs to mission/,
      ],
      [bad((s) => Object.assign(s.missions[0] ?? {}, { fence: -1 })), /^snapshot\.missions\[0\]\.fence: /],
      [bad((s) => s.events.town.reverse()), /^snapshot\.events\.town\[1\]\.id: .* must come after/],
      [bad((s) => Object.assign(s.events.town[0] ?? {}, { id: '0-0' })), /must come after 0-0/],
      [bad((s) => Object.assign(s.events.town[0] ?? {}, { id: 'MAXLEN' })), /stream entry id/],
      [bad((s) => Object.assign(s.events.town[0] ?? {}, { fields: {} })), /at least one field/],
      [bad((s) => Object.assign(s.events.agents, { [newId()]: s.events.town })), /no agent of the snapshot/],
      [bad((s) => Object.assign(s, { version: 3 })), /version 1 or 2/],
    ];
    for (const [input, message] of cases) {
      const error = await importTown(town, input).catch((e: unknown) => e);
      expect(isTinytownError(error, 'INVALID_INPUT'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(await townKeys('restored')).toEqual({});
    }
    // And with --force the town is not even reset: the check comes first.
    await importTown(town, good);
    const before = await townKeys('restored');
    await expect(importTown(town, cases[0]?.[0], { replace: true })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await townKeys('restored')).toEqual(before);
  });
});
