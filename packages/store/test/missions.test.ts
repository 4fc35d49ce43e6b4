import { CONDUCTOR_ID, isTinytownError, newId } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { item, mission, watch } from './mission-fixtures.js';
import { dumpKeys, useTown } from './support.js';

describe('mission storage', () => {
  const ctx = useTown('missions');

  it('stores a mission with its items, indexed as active and due now', async () => {
    const m = mission();
    const items = [item(m.id, 1), item(m.id, 0)];
    await ctx.town.missions.create(m, items, ['Mission started']);
    expect((await ctx.town.missions.get(m.id)).id).toBe(m.id);
    expect((await ctx.town.missions.workItems(m.id)).map((i) => i.seq)).toEqual([0, 1]);
    expect((await ctx.town.missions.list({ activeOnly: true })).map((x) => x.id)).toEqual([m.id]);
    expect(await ctx.town.missions.due()).toEqual([m.id]);
    expect(await ctx.town.missions.events(m.id)).toEqual([expect.stringMatching(/\] Mission started$/)]);
    const counts = await ctx.town.missions.workCounts([m.id]);
    expect(counts.get(m.id)).toMatchObject({ total: 2, pending: 2 });
  });

  it('unknown and malformed mission ids are typed errors', async () => {
    await expect(ctx.town.missions.get(newId())).rejects.toMatchObject({ code: 'MISSION_NOT_FOUND' });
    await expect(ctx.town.missions.get('nope')).rejects.toMatchObject({ code: 'INVALID_ID' });
  });

  it('one holder of a lease at a time; a stolen lease fences the old token out', async () => {
    const m = mission();
    await ctx.town.missions.create(m, []);
    const first = await ctx.town.missions.acquireLease(m.id, 10_000);
    expect(first).toBeGreaterThan(0);
    expect(await ctx.town.missions.acquireLease(m.id, 10_000)).toBeNull();
    const stolen = await ctx.town.missions.acquireLease(m.id, 10_000, { steal: true });
    expect(stolen).toBeGreaterThan(first ?? 0);
    expect(await ctx.town.missions.renewLease(m.id, first ?? 0, 10_000)).toBe(false);
    expect(await ctx.town.missions.releaseLease(m.id, first ?? 0)).toBe(false);
    expect(await ctx.town.missions.renewLease(m.id, stolen ?? 0, 10_000)).toBe(true);
    expect(await ctx.town.missions.releaseLease(m.id, stolen ?? 0)).toBe(true);
    expect(await ctx.town.missions.acquireLease(m.id, 10_000)).toBeGreaterThan(stolen ?? 0);
  });

  it('a write with a stale fencing token writes nothing', async () => {
    const worker = await ctx.town.agents.register({ name: 'worker', cli: 'claude' });
    const m = mission();
    const i = item(m.id, 0, { status: 'ready' });
    await ctx.town.missions.create(m, [i]);
    const stale = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    const fresh = (await ctx.town.missions.acquireLease(m.id, 10_000, { steal: true })) ?? 0;
    const before = await dumpKeys(ctx.redis.client);
    const error = await ctx.town.missions
      .commit(m.id, stale, {
        mission: { ...m, state: 'completed' },
        active: false,
        items: [{ ...i, status: 'assigned', assigned_to: worker.id }],
        events: ['should not appear'],
        wakeAtMs: null,
        createTasks: [{ id: newId(), description: 'x', tags: [`mission:${m.id}`], assignTo: worker.id }],
        conductorQuestions: ['help'],
      })
      .catch((e: unknown) => e);
    expect(isTinytownError(error, 'LEASE_LOST')).toBe(true);
    expect(await dumpKeys(ctx.redis.client)).toEqual(before);
    // The current holder's write goes through.
    await ctx.town.missions.commit(m.id, fresh, { events: ['ok'] });
    expect((await ctx.town.missions.events(m.id, 1))[0]).toMatch(/ok$/);
  });

  it('a commit creates assigned tasks with their messages and events, and cancels tasks, atomically', async () => {
    const worker = await ctx.town.agents.register({ name: 'worker', cli: 'claude' });
    const m = mission();
    const i = item(m.id, 0, { status: 'ready' });
    await ctx.town.missions.create(m, [i]);
    const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    const taskId = newId();
    const created = await ctx.town.missions.commit(m.id, token, {
      items: [{ ...i, status: 'assigned', assigned_to: worker.id, task_ids: [taskId] }],
      createTasks: [
        { id: taskId, description: '[Mission Work Item] x', tags: [`mission:${m.id}`], assignTo: worker.id },
      ],
      wakeAtMs: Date.now() + 60_000,
    });
    expect(created).toBe(1);
    const task = await ctx.town.tasks.get(taskId);
    expect(task).toMatchObject({ state: 'assigned', assigned_to: worker.id, tags: [`mission:${m.id}`] });
    expect((await ctx.town.messages.peek('worker')).messages).toHaveLength(1);
    expect((await ctx.town.missions.snapshot(m.id))?.liveTaskIds).toEqual([taskId]);
    expect(await ctx.town.missions.due()).toEqual([]);
    const events = await ctx.town.events.recent({ limit: 50 });
    expect(events.filter((e) => e.event_type === 'task_created' && e.task_id === taskId)).toHaveLength(1);

    await ctx.town.missions.commit(m.id, token, { cancelTasks: [{ id: taskId, reason: 'superseded' }] });
    expect((await ctx.town.tasks.get(taskId)).state).toBe('cancelled');
    expect((await ctx.town.missions.snapshot(m.id))?.liveTaskIds).toEqual([]);

    await expect(
      ctx.town.missions.commit(m.id, token, {
        events: ['never'],
        createTasks: [{ id: newId(), description: 'y', tags: [], assignTo: newId() }],
      }),
    ).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
    expect((await ctx.town.missions.events(m.id)).some((line) => line.endsWith('never'))).toBe(false);
  });

  it('watches are scheduled by due time and found without loading missions', async () => {
    const m = mission();
    const i = item(m.id, 0);
    await ctx.town.missions.create(m, [i]);
    const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    const w = watch(m.id, i.id);
    await ctx.town.missions.commit(m.id, token, {
      watches: [w],
      watchDue: [{ id: w.id, atMs: Date.now() + 5_000 }],
      wakeAtMs: null,
    });
    expect(await ctx.town.missions.due()).toEqual([]);
    expect(await ctx.town.missions.due(Date.now() + 10_000)).toEqual([m.id]);
    expect((await ctx.town.missions.watches(m.id))[0]?.seen.checks).toEqual([]);
  });

  it('notes wake the mission and withdraw its help requests from the conductor inbox', async () => {
    const m = mission();
    await ctx.town.missions.create(m, []);
    const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    await ctx.town.missions.commit(m.id, token, {
      wakeAtMs: Date.now() + 3_600_000,
      conductorQuestions: [`[Mission Help Needed] Mission ${m.id}\n\nstuck`],
    });
    await ctx.town.messages.send({ to: 'conductor', text: 'unrelated' });
    const retired = await ctx.town.missions.addNote(
      {
        id: newId(),
        mission_id: m.id,
        sender: 'conductor',
        body: 'resume',
        created_at: new Date().toISOString(),
        processed_at: null,
      },
      'note',
      { retireHelp: true },
    );
    expect(retired).toBe(1);
    expect(await ctx.redis.client.llen(`tt:{missions}:inbox:${CONDUCTOR_ID}`)).toBe(1);
    expect(await ctx.town.missions.due()).toEqual([m.id]);
    expect(await ctx.town.missions.notes(m.id)).toHaveLength(1);
  });

  it('delete refuses an active mission unless forced, and removes every key and index entry', async () => {
    const m = mission();
    const i = item(m.id, 0);
    await ctx.town.missions.create(m, [i]);
    const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    const w = watch(m.id, i.id);
    await ctx.town.missions.commit(m.id, token, { watches: [w], watchDue: [{ id: w.id, atMs: 1 }] });
    await expect(ctx.town.missions.delete(m.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await ctx.town.missions.delete(m.id, { force: true })).toBe('running');
    const keys = await ctx.redis.client.keys('tt:{missions}:mission*');
    expect(keys.filter((key) => !key.endsWith(':events'))).toEqual([]);
    await expect(ctx.town.missions.delete(m.id, { force: true })).rejects.toMatchObject({
      code: 'MISSION_NOT_FOUND',
    });
  });

  it('the full reset deletes every mission key through the index', async () => {
    for (let n = 0; n < 3; n++) {
      const m = mission();
      const i = item(m.id, 0);
      await ctx.town.missions.create(m, [i], ['x']);
      const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
      const w = watch(m.id, i.id);
      await ctx.town.missions.commit(m.id, token, { watches: [w], watchDue: [{ id: w.id, atMs: 1 }] });
    }
    await ctx.town.reset();
    expect(await ctx.redis.client.keys('*')).toEqual([]);
  });

  it('a note queued while a tick runs keeps the mission due even if the tick unschedules it', async () => {
    const m = mission();
    await ctx.town.missions.create(m, []);
    const token = (await ctx.town.missions.acquireLease(m.id, 10_000)) ?? 0;
    const note = {
      id: newId(),
      mission_id: m.id,
      sender: 'ops',
      body: 'resume',
      created_at: new Date().toISOString(),
      processed_at: null,
    };
    await ctx.town.missions.addNote(note, 'note');
    // The tick read the mission before the note arrived and takes it off the schedule.
    await ctx.town.missions.commit(m.id, token, { wakeAtMs: null });
    expect(await ctx.town.missions.due()).toEqual([m.id]);
    await ctx.town.missions.commit(m.id, token, {
      wakeAtMs: null,
      notes: [{ ...note, processed_at: new Date().toISOString() }],
    });
    expect(await ctx.town.missions.due()).toEqual([]);
  });
});
