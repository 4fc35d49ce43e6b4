import { missionTaskBinding, type Task } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import { describe, expect, it } from 'vitest';
import { Dispatcher, MissionService } from '../src/index.js';
import { greenPr, redPr, ScriptedAgents, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';
const PR_URL = `https://github.com/${REPO}/pull/7`;

async function missionTasks(town: Town, kind?: 'work' | 'review' | 'fix'): Promise<Task[]> {
  return (await town.tasks.list()).filter((task) => {
    const binding = missionTaskBinding(task.tags);
    return binding !== null && (kind === undefined || binding.kind === kind);
  });
}

/** A clock the dispatcher reads, moved forward by hand. */
function clock(start = Date.now()) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('review gate, fixes and watches', () => {
  const ctx = useMissionTown('gates');

  async function startOne(policy: Record<string, unknown>, title = 'Implement login') {
    ctx.github.setIssue(REPO, { number: 1, title });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const started = await service.start({
      objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: 1 }],
      policy: { watch_interval_secs: 60, ...policy },
    });
    return { service, mission: started.mission, item: started.work_items[0] };
  }

  it('the reviewer gate holds the item until one review task approves it; retried when no reviewer was idle', async () => {
    greenPr(ctx.github, REPO, 7);
    const { service, mission, item } = await startOne({ reviewer_required: true });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work'
        ? { complete: `Opened ${PR_URL}` }
        : kind === 'review'
          ? { complete: 'approved: LGTM' }
          : null,
    );
    const backend = await agents.add('backend-1', 'backend');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass(); // assigns the work
    await agents.play(); // submits the PR
    await dispatcher.pass(); // watches green, review needed, no reviewer yet
    let current = await service.getWorkItem(mission.id, item?.id ?? '');
    expect(current).toMatchObject({ status: 'blocked', reviewer_approved: false, assigned_to: backend.id });
    expect(await missionTasks(ctx.town, 'review')).toHaveLength(0);
    expect((await service.get(mission.id)).summary.active_watches).toBe(0);

    const reviewer = await agents.add('reviewer-1', 'reviewer');
    await dispatcher.pass();
    await dispatcher.pass();
    const reviews = await missionTasks(ctx.town, 'review');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]?.assigned_to).toBe(reviewer.id);
    // The review task does not take the item over.
    current = await service.getWorkItem(mission.id, item?.id ?? '');
    expect(current.assigned_to).toBe(backend.id);

    await agents.play(); // approves
    await dispatcher.pass();
    current = await service.getWorkItem(mission.id, item?.id ?? '');
    expect(current).toMatchObject({ status: 'done', reviewer_approved: true });
    expect((await service.get(mission.id)).mission.state).toBe('completed');
    expect(await missionTasks(ctx.town, 'review')).toHaveLength(1);
  });

  it('a rejection makes exactly one fix task, for the author, not the reviewer', async () => {
    greenPr(ctx.github, REPO, 7);
    const { service, mission, item } = await startOne({ reviewer_required: true });
    let verdict = 'rejected: missing tests';
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: `Opened ${PR_URL}` } : kind === 'review' ? { complete: verdict } : null,
    );
    const backend = await agents.add('backend-1', 'backend');
    await agents.add('reviewer-1', 'reviewer');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass(); // review task
    await agents.play(); // rejected
    for (let i = 0; i < 5; i++) await dispatcher.pass();
    const fixes = await missionTasks(ctx.town, 'fix');
    expect(fixes).toHaveLength(1);
    expect(fixes[0]?.assigned_to).toBe(backend.id);
    expect(fixes[0]?.description).toContain('missing tests');
    const current = await service.getWorkItem(mission.id, item?.id ?? '');
    expect(current).toMatchObject({ assigned_to: backend.id, reviewer_approved: false });
    expect(['assigned', 'running']).toContain(current.status);

    // The fix resubmits the PR; a new review approves; the mission completes.
    verdict = 'approved: thanks';
    const fixer = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'fix' ? { complete: `Updated ${PR_URL}` } : kind === 'review' ? { complete: verdict } : null,
    );
    fixer.agents.set('backend-1', backend);
    fixer.agents.set('reviewer-1', agents.agents.get('reviewer-1') ?? backend);
    for (let i = 0; i < 6 && (await service.get(mission.id)).mission.state !== 'completed'; i++) {
      await fixer.play();
      await dispatcher.pass();
    }
    expect((await service.get(mission.id)).mission.state).toBe('completed');
    expect(await missionTasks(ctx.town, 'fix')).toHaveLength(1);
    expect(await missionTasks(ctx.town, 'review')).toHaveLength(2);
  });

  it('CI red for ten polls makes exactly one fix task; fixed and green, the watches finish and the mission completes', async () => {
    redPr(ctx.github, REPO, 7, 'sha-red');
    const { service, mission } = await startOne({ reviewer_required: false });
    let fixNow = false;
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work'
        ? { complete: `Opened ${PR_URL}` }
        : kind === 'fix' && fixNow
          ? { complete: `Fixed the build in ${PR_URL}` }
          : null,
    );
    await agents.add('backend-1', 'backend');
    const time = clock();
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0, now: time.now });
    await dispatcher.pass();
    await agents.play();
    const checksBefore = ctx.github.requests.filter((r) => r.path.includes('/check-runs')).length;
    for (let poll = 0; poll < 10; poll++) {
      await dispatcher.pass();
      await agents.play();
      time.advance(200_000);
    }
    const polls = ctx.github.requests.filter((r) => r.path.includes('/check-runs')).length - checksBefore;
    // Polled every time: one read of the CI per poll, shared by the watches of the PR.
    expect(polls).toBeGreaterThanOrEqual(10);
    expect(await missionTasks(ctx.town, 'fix')).toHaveLength(1);
    const prChecks = (await service.listWatches(mission.id)).find((watch) => watch.kind === 'pr_checks');
    expect(prChecks?.seen.checks).toEqual(['run:70:failure']);

    // The fix lands on a new commit with green CI.
    greenPr(ctx.github, REPO, 7, 'sha-green');
    fixNow = true;
    for (let i = 0; i < 6 && (await service.get(mission.id)).mission.state !== 'completed'; i++) {
      await agents.play();
      await dispatcher.pass();
      time.advance(200_000);
    }
    const status = await service.get(mission.id, { includeWatches: true });
    expect(status.mission.state).toBe('completed');
    expect(status.watches?.every((watch) => watch.status === 'done')).toBe(true);
    expect(await missionTasks(ctx.town, 'fix')).toHaveLength(1);
  });

  it('an item waiting only on its PR watches wakes the mission when they are due, not every poll', async () => {
    ctx.github.setPullRequest(REPO, {
      number: 7,
      head_sha: 'sha-7',
      author: 'w',
      mergeable_state: 'blocked',
    });
    ctx.github.setCheckRuns(REPO, 'sha-7', [{ id: 70, name: 'ci', status: 'in_progress', conclusion: null }]);
    const { service, mission } = await startOne({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: `Opened ${PR_URL}` } : null,
    );
    await agents.add('backend-1', 'backend');
    const time = clock();
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 5_000, now: time.now });
    await dispatcher.pass();
    await agents.play();
    time.advance(5_000);
    await dispatcher.pass(); // the submission: four watches, checked at once; CI still running
    const waiting = await service.get(mission.id, { includeWork: true, includeWatches: true });
    expect(waiting.work_items?.[0]?.status).toBe('blocked');
    expect(waiting.watches).toHaveLength(4);
    // The watches are due again in watch_interval_secs (60 s): the mission is not ticked before.
    const wake = Date.parse(waiting.mission.next_wake_at ?? '');
    expect(wake - time.now().getTime()).toBe(60_000);
    expect(await ctx.town.missions.due(time.now().getTime() + 59_000)).not.toContain(mission.id);
    expect(await ctx.town.missions.due(time.now().getTime() + 60_000)).toContain(mission.id);
  });

  it('the four watches of a PR read it, its CI and each listing once per tick, not once per watch', async () => {
    greenPr(ctx.github, REPO, 7);
    const { service, mission, item } = await startOne({ reviewer_required: false });
    await service.updateWorkItem(mission.id, item?.id ?? '', { status: 'done', artifacts: [PR_URL] });
    const before = ctx.github.requests.length;
    const pass = await new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 }).pass();
    expect(pass.ticked[0]?.watchChecks.map((check) => check.result)).toEqual([
      'resolved',
      'resolved',
      'resolved',
      'resolved',
    ]);
    const reads = ctx.github.requests.slice(before).map((request) => `${request.method} ${request.path}`);
    expect(reads.sort()).toEqual([
      `GET /repos/${REPO}/commits/sha-7/check-runs`,
      `GET /repos/${REPO}/commits/sha-7/status`,
      `GET /repos/${REPO}/issues/7/comments`,
      `GET /repos/${REPO}/pulls/7`,
      `GET /repos/${REPO}/pulls/7/comments`,
      `GET /repos/${REPO}/pulls/7/reviews`,
    ]);
    expect((await service.get(mission.id)).mission.state).toBe('completed');
  });

  it('auto_merge merges an approved, green, mergeable PR exactly once', async () => {
    greenPr(ctx.github, REPO, 7);
    const { service, mission } = await startOne({
      reviewer_required: true,
      auto_merge: true,
      watch_interval_secs: 1,
    });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work'
        ? { complete: `Opened ${PR_URL}` }
        : kind === 'review'
          ? { complete: 'approved' }
          : null,
    );
    await agents.add('backend-1', 'backend');
    const time = clock();
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0, now: time.now });
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    time.advance(2_000);
    await dispatcher.pass();
    // Not approved yet (no reviewer): no merge.
    expect(ctx.github.mergeCalls).toHaveLength(0);
    await agents.add('reviewer-1', 'reviewer');
    for (let i = 0; i < 8; i++) {
      await dispatcher.pass();
      await agents.play();
      time.advance(2_000);
    }
    expect(ctx.github.mergeCalls).toHaveLength(1);
    expect(ctx.github.mergeCalls[0]?.body).toMatchObject({ sha: 'sha-7' });
    expect((await service.get(mission.id)).mission.state).toBe('completed');
  });
});
