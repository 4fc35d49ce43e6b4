import { describe, expect, it } from 'vitest';
import { Dispatcher, MissionService } from '../src/index.js';
import { ScriptedAgents, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';

/** Missions that cannot move on by themselves say so, once, instead of churning or waiting in silence. */
describe('stalled missions ask for help', () => {
  const ctx = useMissionTown('stalls');

  const ISSUES = [
    { number: 1, title: 'Implement login' },
    { number: 2, title: 'Implement logout' },
  ];

  /** A mission over the first `issues` of ISSUES (backend work, independent of each other). */
  async function started(policy: Record<string, unknown> = {}, issues = 1) {
    const chosen = ISSUES.slice(0, issues);
    for (const issue of chosen) ctx.github.setIssue(REPO, { ...issue, labels: ['backend'] });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: chosen.map(({ number }) => ({ type: 'issue', owner: 'acme', repo: 'app', number })),
      policy,
    });
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    return { service, mission, work_items, item: work_items[0] ?? (undefined as never), dispatcher };
  }

  async function helpFor(missionId: string): Promise<string[]> {
    const inbox = await ctx.town.messages.peek('conductor');
    return inbox.messages.flatMap((message) =>
      message.type === 'query' && message.question.includes(`[Mission Help Needed] Mission ${missionId}`)
        ? [message.question]
        : [],
    );
  }

  it('a help setting given as undefined takes its default', async () => {
    const { mission } = await started({ reviewer_required: false });
    const errors: unknown[] = [];
    const dispatcher = new Dispatcher({
      town: ctx.town,
      forge: ctx.forge,
      pollMs: 0,
      help: { stuckMs: undefined, repeatBaseMs: undefined, backoffCap: undefined },
      onError: (error) => errors.push(error),
    });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) => (kind === 'work' ? { fail: 'no' } : null));
    await agents.add('backend-1', 'backend');
    for (let round = 0; round < 4; round++) {
      await dispatcher.pass();
      await agents.play();
    }
    expect(errors).toEqual([]);
    // Waiting on a person: it looks again after the default stuck interval (30 min), not at NaN.
    const waiting = await ctx.town.missions.get(mission.id);
    expect(Date.parse(waiting.next_wake_at ?? '') - Date.now()).toBeGreaterThan(25 * 60_000);
    expect(await helpFor(mission.id)).toHaveLength(1);
  });

  it('a work task its agent fails blocks the item and asks the conductor, instead of handing it back', async () => {
    const { service, mission, item, dispatcher } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { fail: 'the repository has no login module' } : null,
    );
    await agents.add('backend-1', 'backend');
    for (let round = 0; round < 6; round++) {
      await dispatcher.pass();
      await agents.play();
    }
    const current = await service.getWorkItem(mission.id, item.id);
    expect(current.status).toBe('blocked');
    expect(current.task_ids).toHaveLength(1);
    expect(agents.played).toHaveLength(1);
    // Nothing but a person moves it now, and their note wakes the mission: it is not polled meanwhile.
    const waiting = await ctx.town.missions.get(mission.id);
    expect(Date.parse(waiting.next_wake_at ?? '') - Date.now()).toBeGreaterThan(60_000);
    expect(await ctx.town.missions.due()).not.toContain(mission.id);
    const help = await helpFor(mission.id);
    expect(help).toHaveLength(1);
    expect(help[0]).toContain('the repository has no login module');
    // What the conductor can do, with the commands that do it.
    const ref = `${mission.id.slice(0, 8)} ${item.id.slice(0, 8)}`;
    expect(help[0]).toContain(
      `hand it out again ('tt mission item ${ref} --status ready'), give it to an agent (note 'redirect ${item.id.slice(0, 8)} to <agent>') or skip it ('tt mission item ${ref} --status done')`,
    );
    const events = await service.events(mission.id, { limit: 100 });
    expect(events.some((line) => line.includes('failed: the repository has no login module'))).toBe(true);

    // The operator's redirect hands it out again.
    await service.addNote(mission.id, { body: `redirect ${item.id.slice(0, 8)} to backend-1` });
    await dispatcher.pass();
    const redirected = await service.getWorkItem(mission.id, item.id);
    expect(redirected.status).toBe('assigned');
    expect(redirected.task_ids).toHaveLength(2);
  });

  it('a reply does not bring the same question straight back; a retry note hands the failed item out again', async () => {
    const { service, mission, item, dispatcher } = await started({ reviewer_required: false });
    let attempts = 0;
    const agents = new ScriptedAgents(ctx.town, ({ kind }) => {
      if (kind !== 'work') return null;
      attempts += 1;
      return attempts === 1 ? { fail: 'the build is broken' } : { complete: 'Implemented in src/login.ts' };
    });
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);

    // A plain reply: the question leaves the inbox and is not asked again until the repeat wait has passed.
    await service.addNote(mission.id, { body: 'looking into the build' });
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toEqual([]);
    const later = new Dispatcher({
      town: ctx.town,
      forge: ctx.forge,
      pollMs: 0,
      now: () => new Date(Date.now() + 31 * 60_000),
    });
    await later.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);

    // "retry", as the conductor would answer: the item is handed out again, and the question withdrawn.
    await service.addNote(mission.id, { body: 'retry, the build is fixed' });
    await dispatcher.pass();
    const retried = await service.getWorkItem(mission.id, item.id);
    expect(retried).toMatchObject({ status: 'assigned' });
    expect(retried.task_ids).toHaveLength(2);
    expect(await helpFor(mission.id)).toEqual([]);
    const events = await service.events(mission.id, { limit: 100 });
    expect(
      events.some((line) => line.includes('(handing out 1 failed work item again, re-checking 0 watches)')),
    ).toBe(true);
    await agents.play();
    await dispatcher.pass();
    expect((await ctx.town.missions.get(mission.id)).state).toBe('completed');
  });

  it('a mission with ready work and no idle agent says it waits for one, and stops saying so once one takes it', async () => {
    const { service, mission, dispatcher } = await started(
      { reviewer_required: false, max_parallel_items: 1 },
      2,
    );
    await dispatcher.pass();
    expect((await service.get(mission.id)).mission.blocked_reason).toBe(
      'Waiting for an idle agent to take 2 ready work items',
    );
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    // One item is handed out and the other waits for the free slot (max_parallel_items 1), not for an agent.
    const view = await service.get(mission.id);
    expect(view.summary).toMatchObject({ assigned: 1, ready: 1 });
    expect(view.mission.blocked_reason).toBeNull();
  });

  it('ready work waiting for agents busy with the same mission is queued, not stalled: nobody is asked', async () => {
    const { service, mission, dispatcher } = await started(
      { reviewer_required: false, max_parallel_items: 1 },
      2,
    );
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await ctx.town.agents.transition('backend-1', 'working');
    await dispatcher.pass();
    expect((await service.get(mission.id)).summary).toMatchObject({ assigned: 1, ready: 1 });
    expect(await helpFor(mission.id)).toEqual([]);
    // With nothing in progress the mission is stalled, and the conductor hears of it.
    const [held] = (await ctx.town.tasks.list()).filter((task) => task.state === 'assigned');
    await ctx.town.tasks.cancel(held?.id ?? '', 'agent is busy elsewhere');
    await dispatcher.pass();
    expect((await service.get(mission.id)).summary).toMatchObject({ assigned: 0, ready: 2 });
    expect(await helpFor(mission.id)).toEqual([
      expect.stringContaining(`Mission ${mission.id} has ready work but no idle agents are available`),
    ]);
  });

  it('says how many items wait in plain words, one or more', async () => {
    const { service, mission, dispatcher } = await started({ reviewer_required: false });
    await dispatcher.pass();
    expect((await service.get(mission.id)).mission.blocked_reason).toBe(
      'Waiting for an idle agent to take 1 ready work item',
    );
    const events = await service.events(mission.id, { limit: 100 });
    expect(events.some((line) => line.endsWith('] Compiled 1 work item'))).toBe(true);
  });

  it('the status of a mission whose work task failed names the item, the task and why it failed', async () => {
    const { service, mission, item, dispatcher } = await started({ reviewer_required: false });
    const reasons = ['the repository has no login module', ''];
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { fail: reasons.shift() ?? 'unexpected' } : null,
    );
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    const [first] = (await service.getWorkItem(mission.id, item.id)).task_ids;
    const view = await service.get(mission.id);
    expect(view.mission.blocked_reason).toBe(
      "Waiting on an operator: the work task of 'Implement login' failed",
    );
    expect(view.failed_items).toEqual([
      {
        work_item_id: item.id,
        title: 'Implement login',
        task_id: first,
        task_kind: 'work',
        task_state: 'failed',
        result: 'the repository has no login module',
        reason: `its work task ${first?.slice(0, 8)} failed: the repository has no login module`,
        help_requested: true,
      },
    ]);

    // Handed out again, it is no longer reported; failed again without a reason, it says so.
    await service.addNote(mission.id, { body: `redirect ${item.id.slice(0, 8)} to backend-1` });
    await dispatcher.pass();
    expect((await service.get(mission.id)).failed_items).toEqual([]);
    await agents.play();
    await dispatcher.pass();
    const second = (await service.getWorkItem(mission.id, item.id)).task_ids[1];
    expect((await service.get(mission.id)).failed_items).toMatchObject([
      {
        task_id: second,
        result: null,
        reason: `its work task ${second?.slice(0, 8)} failed: no reason given`,
      },
    ]);
  });

  it('a work task cancelled under its agent puts the item back to ready', async () => {
    const { service, mission, item, dispatcher } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    const [taskId] = (await service.getWorkItem(mission.id, item.id)).task_ids;
    await ctx.town.tasks.cancel(taskId ?? '', 'operator changed their mind');
    await dispatcher.pass();
    const current = await service.getWorkItem(mission.id, item.id);
    expect(current.task_ids).toHaveLength(2);
    expect(current.status).toBe('assigned');
  });

  it('ready work no agent can take asks the conductor, without waiting for the stuck interval', async () => {
    const { mission, dispatcher } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('rev', 'reviewer');
    await dispatcher.pass();
    await dispatcher.pass();
    const help = await helpFor(mission.id);
    expect(help).toHaveLength(1);
    expect(help[0]).toContain("no agent can take: 'Implement login'");

    // An agent that fits comes along and takes it: the request is withdrawn.
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toEqual([]);
  });

  it('a help request is withdrawn once the blocked item it was about is handed out again or skipped', async () => {
    const { service, mission, work_items, dispatcher } = await started({ reviewer_required: false }, 2);
    const login = work_items.find((item) => item.title === 'Implement login') ?? (undefined as never);
    // Login fails every time; logout stays in progress, so the mission runs on throughout.
    const agents = new ScriptedAgents(ctx.town, ({ kind, workItemId }) =>
      kind === 'work' && workItemId === login.id ? { fail: 'the repository has no login module' } : null,
    );
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);

    // Unblocked through the API, it is handed out on the next pass: nothing is left to help with.
    await service.updateWorkItem(mission.id, login.id, { status: 'ready' });
    await dispatcher.pass();
    expect((await service.getWorkItem(mission.id, login.id)).status).toBe('assigned');
    expect(await helpFor(mission.id)).toEqual([]);

    // It fails again and the conductor is asked again; skipped (done through the API), withdrawn again.
    await agents.play();
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);
    await service.updateWorkItem(mission.id, login.id, { status: 'done' });
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toEqual([]);
    expect((await ctx.town.missions.get(mission.id)).state).toBe('running');
    const events = await service.events(mission.id, { limit: 100 });
    expect(
      events.filter((line) => line.includes("Withdrew the help request about 'Implement login'")),
    ).toHaveLength(2);
  });

  it('two items failing in one pass are asked about one after the other, none forgotten', async () => {
    const { service, mission, work_items, dispatcher } = await started(
      { reviewer_required: false, max_parallel_items: 2 },
      2,
    );
    const [first, second] = work_items;
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { fail: 'the build is broken' } : null,
    );
    await agents.add('backend-1', 'backend');
    await agents.add('backend-2', 'backend');
    await dispatcher.pass();
    expect(await agents.play()).toBe(2);
    await dispatcher.pass();
    expect((await service.get(mission.id)).failed_items.map((item) => item.work_item_id)).toEqual([
      first?.id,
      second?.id,
    ]);
    const help = await helpFor(mission.id);
    expect(help).toHaveLength(1);
    expect(help[0]).toContain(`(work item ${first?.id}): work task`);

    // Passes in between change nothing; once the first is skipped, the second is asked about.
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toEqual(help);
    await service.updateWorkItem(mission.id, first?.id ?? '', { status: 'done' });
    await dispatcher.pass();
    const next = await helpFor(mission.id);
    expect(next).toHaveLength(1);
    expect(next[0]).toContain(`(work item ${second?.id}): work task`);
    expect(next[0]).toContain("for 'Implement logout' failed: the build is broken");
  });

  it('an item whose only reviewer is its author asks the conductor for another reviewer', async () => {
    const { service, mission, item, dispatcher } = await started({ reviewer_required: true });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: 'Implemented in src/login.ts' } : null,
    );
    await agents.add('rev', 'reviewer');
    await service.addNote(mission.id, { body: `redirect ${item.id.slice(0, 8)} to rev` });
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    await dispatcher.pass();
    expect((await service.getWorkItem(mission.id, item.id)).status).toBe('blocked');
    const help = await helpFor(mission.id);
    expect(help).toHaveLength(1);
    expect(help[0]).toContain('its only reviewer, rev, is its author');
  });

  it("a mission that finishes withdraws its help requests from the conductor's inbox", async () => {
    const { mission, dispatcher } = await started({ reviewer_required: false });
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: 'Implemented in src/login.ts' } : null,
    );
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    expect((await ctx.town.missions.get(mission.id)).state).toBe('completed');
    expect(await helpFor(mission.id)).toEqual([]);

    // Ended by hand too.
    const other = await started({ reviewer_required: false });
    await ctx.town.agents.transition('backend-1', 'working');
    await other.dispatcher.pass();
    expect(await helpFor(other.mission.id)).toHaveLength(1);
    await other.service.fail(other.mission.id, 'wrong repository');
    expect(await helpFor(other.mission.id)).toEqual([]);
  });

  it('a forced delete of an unfinished mission cancels its open tasks and withdraws its help requests', async () => {
    const { service, mission, work_items, dispatcher } = await started({ reviewer_required: false }, 2);
    const [failing, open] = work_items;
    const agents = new ScriptedAgents(ctx.town, ({ workItemId }) =>
      workItemId === failing?.id ? { fail: 'no login module' } : null,
    );
    await agents.add('backend-1', 'backend');
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    expect(await helpFor(mission.id)).toHaveLength(1);
    const [openTask] = (await service.getWorkItem(mission.id, open?.id ?? '')).task_ids;
    expect((await ctx.town.tasks.get(openTask ?? '')).state).toBe('assigned');

    expect(await service.delete(mission.id, { force: true })).toEqual({
      mission_id: mission.id,
      deleted: true,
    });
    // Its agent stops working for a mission that is gone, and the conductor is no longer asked about it.
    expect(await ctx.town.tasks.get(openTask ?? '')).toMatchObject({ state: 'cancelled' });
    expect(await helpFor(mission.id)).toEqual([]);
    expect(await ctx.town.missions.find(mission.id)).toBeNull();
  });
});
