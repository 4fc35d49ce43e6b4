import { missionTaskBinding } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { Dispatcher, type Forge, MissionService } from '../src/index.js';
import { redPr, ScriptedAgents, sleep, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';

describe('dispatcher replicas', () => {
  const ctx = useMissionTown('replicas');

  it('two replicas over 20 missions for 200 passes: no item assigned twice, no task created twice', async () => {
    ctx.github.setIssue(REPO, { number: 1, title: 'Implement storage' });
    ctx.github.setIssue(REPO, { number: 2, title: 'Implement the api', body: 'depends on #1' });
    ctx.github.setIssue(REPO, { number: 3, title: 'Implement the cli', body: 'after #1' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const missionIds: string[] = [];
    for (let n = 0; n < 20; n++) {
      const { mission } = await service.start({
        objectives: [1, 2, 3].map((number) => ({ type: 'issue', owner: 'acme', repo: 'app', number })),
        policy: { reviewer_required: false, max_parallel_items: 2 },
      });
      missionIds.push(mission.id);
    }
    const agents = new ScriptedAgents(ctx.town, () => ({ complete: 'done, no PR needed' }));
    for (let n = 0; n < 8; n++) await agents.add(`worker-${n}`, 'backend');

    const replicaTowns = [await ctx.connect(), await ctx.connect()];
    const replicas = replicaTowns.map(
      (town, index) => new Dispatcher({ town, forge: ctx.forge, id: `r${index}`, pollMs: 0, concurrency: 4 }),
    );
    let stop = false;
    const ticks = [0, 0];
    const passes = [0, 0];
    const allDone = async () =>
      (await ctx.town.missions.getMany(missionIds)).every((mission) => mission.state === 'completed');
    // At least 100 passes each (200 in all), and on until every mission is done (slow machines).
    const runReplica = async (index: number) => {
      const replica = replicas[index];
      if (!replica) return;
      const deadline = Date.now() + 40_000;
      while ((passes[index] ?? 0) < 100 || (!(await allDone()) && Date.now() < deadline)) {
        const result = await replica.pass();
        passes[index] = (passes[index] ?? 0) + 1;
        ticks[index] = (ticks[index] ?? 0) + result.ticked.length;
        await sleep(1);
      }
    };
    const player = async () => {
      while (!stop) {
        await agents.play();
        await sleep(5);
      }
    };
    const playing = player();
    await Promise.all([runReplica(0), runReplica(1)]);
    stop = true;
    await playing;
    expect((passes[0] ?? 0) + (passes[1] ?? 0)).toBeGreaterThanOrEqual(200);

    // Both replicas did some of the work.
    expect(ticks[0]).toBeGreaterThan(0);
    expect(ticks[1]).toBeGreaterThan(0);

    const tasks = await ctx.town.tasks.list();
    const workTasks = tasks.filter((task) => missionTaskBinding(task.tags)?.kind === 'work');
    const perItem = new Map<string, number>();
    for (const task of workTasks) {
      const item = missionTaskBinding(task.tags)?.workItemId ?? '';
      perItem.set(item, (perItem.get(item) ?? 0) + 1);
    }
    expect([...perItem.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(tasks.map((task) => task.id)).size).toBe(tasks.length);

    const created = (await ctx.town.events.recent({ limit: 1000 })).filter(
      (e) => e.event_type === 'task_created',
    );
    expect(new Set(created.map((e) => e.task_id)).size).toBe(created.length);

    let completed = 0;
    for (const id of missionIds) {
      const status = await service.get(id, { includeWork: true, includeEvents: true, eventsLimit: 100 });
      for (const item of status.work_items ?? []) {
        expect(item.task_ids.length).toBeLessThanOrEqual(1);
        expect(workTasks.filter((task) => task.id === item.task_ids[0])).toHaveLength(item.task_ids.length);
      }
      const assignedLines = (status.events ?? []).filter((line) => line.includes('] Assigned '));
      expect(assignedLines.length).toBe(new Set(assignedLines.map((line) => line.split("'")[1])).size);
      if (status.mission.state === 'completed') completed += 1;
    }
    expect(completed).toBe(20);
    expect(perItem.size).toBe(60);
  }, 60_000);

  it('a replica killed mid-tick: the other takes over once the lease expires; the dead tick writes nothing', async () => {
    redPr(ctx.github, REPO, 7);
    ctx.github.setIssue(REPO, { number: 1, title: 'Implement login' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: 1 }],
      policy: { reviewer_required: false },
    });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: `Opened https://github.com/${REPO}/pull/7` } : null,
    );
    await agents.add('backend-1', 'backend');
    const setup = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await setup.pass();
    await agents.play(); // submission: the next tick creates the watches and checks them

    // Replica A's forge hangs on its first PR read until released.
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const base = ctx.forge;
    let hangs = 1;
    const slowForge: Forge = {
      ...base,
      getIssue: (ref) => base.getIssue(ref),
      getPullRequest: async (ref) => {
        if (hangs-- > 0) {
          entered();
          await hung;
        }
        return base.getPullRequest(ref);
      },
      listCheckRuns: (repo, sha) => base.listCheckRuns(repo, sha),
      getCombinedStatus: (repo, sha) => base.getCombinedStatus(repo, sha),
      listReviews: (ref) => base.listReviews(ref),
      listReviewComments: (ref) => base.listReviewComments(ref),
      listIssueComments: (ref) => base.listIssueComments(ref),
      mergePullRequest: (ref, options) => base.mergePullRequest(ref, options),
    };
    const townA = await ctx.connect();
    const townB = await ctx.connect();
    const a = new Dispatcher({
      town: townA,
      forge: slowForge,
      leaseMs: 1500,
      pollMs: 0,
      watch: { concurrency: 1 },
    });
    const b = new Dispatcher({ town: townB, forge: ctx.forge, leaseMs: 1500, pollMs: 0 });
    const aPass = a.pass();
    await inside;
    a.kill();

    const held = await b.pass();
    expect(held.skipped).toBe(1);
    expect(held.ticked).toHaveLength(0);
    await sleep(2000);
    const takeover = await b.pass();
    expect(takeover.ticked).toHaveLength(1);
    const fixesAfterB = (await ctx.town.tasks.list()).filter(
      (t) => missionTaskBinding(t.tags)?.kind === 'fix',
    );
    expect(fixesAfterB).toHaveLength(1);

    // A wakes up and tries to write its (stale) tick: refused, nothing written.
    const eventsBefore = await ctx.town.missions.events(mission.id, 100);
    release();
    const aResult = await aPass;
    expect(aResult.failed).toBe(1);
    expect(await ctx.town.missions.events(mission.id, 100)).toEqual(eventsBefore);
    const fixes = (await ctx.town.tasks.list()).filter((t) => missionTaskBinding(t.tags)?.kind === 'fix');
    expect(fixes).toHaveLength(1);
    expect((await service.getWorkItem(mission.id, work_items[0]?.id ?? '')).task_ids).toHaveLength(2);
  });
});
