import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTinytownError, missionTaskBinding } from '@tinytown/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Dispatcher, MissionService } from '../src/index.js';
import { greenPr, ScriptedAgents, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';

const roots: string[] = [];

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function townRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tt-mission-'));
  roots.push(root);
  await mkdir(join(root, 'docs'));
  await writeFile(join(root, 'docs', 'design.md'), '# Auth design\n\nHow login works.\n');
  return root;
}

describe('missions run to completion', () => {
  const ctx = useMissionTown('flow');

  it('five issues with dependencies complete in dependency order', async () => {
    const gh = ctx.github;
    gh.setIssue(REPO, { number: 1, title: 'Implement the data model' });
    gh.setIssue(REPO, { number: 2, title: 'Implement the API server', body: 'Depends on #1.' });
    gh.setIssue(REPO, { number: 3, title: 'Implement the web client', body: 'Blocked by #1' });
    gh.setIssue(REPO, { number: 4, title: 'Implement sync', body: 'after #2 and #3' });
    gh.setIssue(REPO, { number: 5, title: 'Implement export', body: 'requires #4' });
    for (const n of [101, 102, 103, 104, 105]) greenPr(gh, REPO, n);

    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: await townRoot() });
    const { mission, work_items } = await service.start({
      objectives: [1, 2, 3, 4, 5].map((number) => ({ type: 'issue', owner: 'acme', repo: 'app', number })),
      policy: { reviewer_required: false, max_parallel_items: 2, watch_interval_secs: 1 },
    });
    const bySource = new Map(work_items.map((item) => [item.source_ref, item]));
    const prOf = new Map(work_items.map((item) => [item.id, 100 + Number(item.source_ref?.split('#')[1])]));

    const violations: string[] = [];
    const agents = new ScriptedAgents(ctx.town, async ({ kind, workItemId }) => {
      const items = await ctx.town.missions.workItems(mission.id);
      const item = items.find((candidate) => candidate.id === workItemId);
      for (const dep of item?.depends_on ?? []) {
        if (items.find((candidate) => candidate.id === dep)?.status !== 'done')
          violations.push(`${item?.title}`);
      }
      return kind === 'work'
        ? { complete: `Opened https://github.com/${REPO}/pull/${prOf.get(workItemId)}` }
        : null;
    });
    await agents.add('backend-1', 'backend');
    await agents.add('backend-2', 'backend');

    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, intervalMs: 10, pollMs: 0 });
    for (let round = 0; round < 40; round++) {
      await dispatcher.pass();
      if ((await ctx.town.missions.get(mission.id)).state === 'completed') break;
      await agents.play();
    }
    const final = await service.get(mission.id, {
      includeWork: true,
      includeWatches: true,
      includeEvents: true,
    });
    expect(final.mission.state).toBe('completed');
    expect(final.summary).toMatchObject({ total_work_items: 5, done: 5, active_watches: 0 });
    expect(violations).toEqual([]);
    // Order of work: #1 first, #5 last, each item worked on exactly once.
    const order = agents.played.filter((p) => p.kind === 'work').map((p) => p.workItemId);
    expect(order).toHaveLength(5);
    expect(order[0]).toBe(bySource.get('acme/app#1')?.id);
    expect(order[4]).toBe(bySource.get('acme/app#5')?.id);
    expect(final.watches).toHaveLength(20);
    expect((await ctx.town.missions.list({ activeOnly: true })).length).toBe(0);
    const tasks = await ctx.town.tasks.list();
    expect(tasks.filter((task) => missionTaskBinding(task.tags)?.kind === 'work')).toHaveLength(5);
  });

  it('a cycle or an unknown issue is an error and stores nothing', async () => {
    const gh = ctx.github;
    gh.setIssue(REPO, { number: 1, title: 'Implement A', body: 'depends on #2' });
    gh.setIssue(REPO, { number: 2, title: 'Implement B', body: 'depends on #1' });
    gh.setIssue(REPO, { number: 3, title: 'Implement C', body: 'depends on #9' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: await townRoot() });
    const issue = (number: number) => ({ type: 'issue' as const, owner: 'acme', repo: 'app', number });

    const cycle = await service.start({ objectives: [issue(1), issue(2)] }).catch((e: unknown) => e);
    expect(isTinytownError(cycle, 'DEPENDENCY_CYCLE')).toBe(true);
    expect((cycle as Error).message).toMatch(/#1.*#2|#2.*#1/);

    const unknownDep = await service.start({ objectives: [issue(3)] }).catch((e: unknown) => e);
    expect(isTinytownError(unknownDep, 'OBJECTIVE_INVALID')).toBe(true);
    expect((unknownDep as Error).message).toContain('#9');

    const missing = await service.start({ objectives: [issue(1), issue(42)] }).catch((e: unknown) => e);
    expect(isTinytownError(missing, 'OBJECTIVE_INVALID')).toBe(true);
    expect((missing as Error).message).toContain('acme/app#42');

    const none = await service.start({ objectives: [] }).catch((e: unknown) => e);
    expect(isTinytownError(none, 'OBJECTIVE_INVALID')).toBe(true);

    // The types keep TypeScript callers right; a JavaScript caller's shapes are checked all the same.
    const untyped = { objectives: [{ type: 'docs', path: 'a.md' }], policy: { max_parallel_items: 0 } };
    const misshapen = await service.start(untyped as never).catch((e: unknown) => e);
    expect(misshapen).toMatchObject({
      code: 'OBJECTIVE_INVALID',
      message: expect.stringMatching(/^objectives\[0\]/),
    });
    const badPolicy = await service
      .start({ ...untyped, objectives: [issue(1)] } as never)
      .catch((e: unknown) => e);
    expect(badPolicy).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/policy\.max_parallel_items/),
    });

    expect(await service.list({ activeOnly: false })).toEqual([]);
    expect(await ctx.redis.client.keys('*mission*')).toEqual([]);
  });

  it('a doc objective becomes a design item titled by its heading; a path escaping the town is refused', async () => {
    const root = await townRoot();
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: root });
    const escaped = await service
      .start({ objectives: [{ type: 'doc', path: '../../etc/passwd' }] })
      .catch((e: unknown) => e);
    expect(isTinytownError(escaped, 'OBJECTIVE_INVALID')).toBe(true);
    expect(await ctx.redis.client.keys('*mission*')).toEqual([]);

    const { mission, work_items } = await service.start({
      objectives: [{ type: 'doc', path: 'docs/design.md' }],
    });
    expect(work_items).toMatchObject([{ title: 'Auth design', kind: 'design', status: 'pending' }]);

    const agents = new ScriptedAgents(ctx.town, () => ({ complete: 'Design written in docs/design.md' }));
    await agents.add('researcher-1', 'researcher');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    for (let round = 0; round < 5; round++) {
      await dispatcher.pass();
      await agents.play();
    }
    expect((await service.get(mission.id)).mission.state).toBe('completed');
  });
});
