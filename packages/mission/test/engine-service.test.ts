import { isTinytownError, newId, type ObjectiveRef } from '@tinytown/core';
import { dumpKeys } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';
import { Dispatcher, MissionService, parseNote } from '../src/index.js';
import { greenPr, ScriptedAgents, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isTinytownError(error) ? error.code : error === undefined ? undefined : String(error);
}

describe('mission operations', () => {
  const ctx = useMissionTown('service');

  /** A mission over issue #1 (its item is `item`) and any `more` objectives. */
  async function started(policy: Record<string, unknown> = {}, more: ObjectiveRef[] = []) {
    ctx.github.setIssue(REPO, { number: 1, title: 'Implement login' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: 1 }, ...more],
      policy,
    });
    return { service, mission, item: work_items[0] ?? (undefined as never) };
  }

  it('stop, resume, complete, fail and delete follow the contract codes', async () => {
    const { service, mission } = await started();
    // Resuming a running mission is the contract's 409, saying the state, and writes nothing but the
    // lease's fencing counter (the action takes the mission's lease to read it).
    const notFence = (key: string) => key.endsWith(':fence');
    const running = await dumpKeys(ctx.redis.client, notFence);
    const minuteLater = new MissionService({
      town: ctx.town,
      forge: ctx.forge,
      townRoot: process.cwd(),
      now: () => new Date(Date.parse(mission.updated_at) + 60_000),
    });
    const refusedRunning = await minuteLater.resume(mission.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTinytownError(refusedRunning, 'INVALID_TRANSITION') && refusedRunning.details).toEqual({
      id: mission.id,
      state: 'running',
    });
    expect(await dumpKeys(ctx.redis.client, notFence)).toEqual(running);
    expect(await service.stop(mission.id)).toMatchObject({ previous_state: 'running', new_state: 'blocked' });
    expect((await ctx.town.missions.due()).includes(mission.id)).toBe(false);
    // Stopping it again, a minute later, is no error and writes nothing either.
    const stopped = await dumpKeys(ctx.redis.client, notFence);
    expect(await minuteLater.stop(mission.id)).toMatchObject({
      status: 'already stopped',
      previous_state: 'blocked',
      new_state: 'blocked',
    });
    expect(await dumpKeys(ctx.redis.client, notFence)).toEqual(stopped);
    expect(await service.resume(mission.id)).toMatchObject({
      previous_state: 'blocked',
      new_state: 'running',
    });
    expect(await code(service.delete(mission.id))).toBe('INVALID_TRANSITION');
    expect(await service.stop(mission.id, { force: true })).toMatchObject({ new_state: 'failed' });
    expect(await code(service.resume(mission.id))).toBe('INVALID_TRANSITION');
    expect(await code(service.stop(mission.id))).toBe('INVALID_TRANSITION');
    expect(await code(service.complete(mission.id))).toBe('INVALID_TRANSITION');
    expect(await service.fail(mission.id)).toMatchObject({ status: 'already failed' });
    expect(await service.list()).toEqual([]);
    expect(await service.list({ activeOnly: false })).toHaveLength(1);
    expect(await service.delete(mission.id)).toEqual({ mission_id: mission.id, deleted: true });
    expect(await code(service.get(mission.id))).toBe('MISSION_NOT_FOUND');

    const other = await started();
    expect(await service.complete(other.mission.id)).toMatchObject({ new_state: 'completed' });
    const refused = await service.resume(other.mission.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTinytownError(refused, 'INVALID_TRANSITION') && refused.message).toBe(
      `Mission ${other.mission.id} is completed and cannot be resumed`,
    );
    expect(await service.delete(other.mission.id, { force: true })).toMatchObject({ deleted: true });
    expect(await code(service.get('not-a-uuid'))).toBe('INVALID_ID');
    expect(await code(service.stop(newId()))).toBe('MISSION_NOT_FOUND');
  });

  it('start keeps each objective once, in the order first given, however it is spelt', async () => {
    ctx.github.setIssue(REPO, { number: 1, title: 'Implement login' });
    ctx.github.setIssue(REPO, { number: 2, title: 'Implement logout' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [
        { type: 'issue', owner: 'acme', repo: 'app', number: 2 },
        { type: 'doc', path: 'README.md' },
        { type: 'issue', owner: 'acme', repo: 'app', number: 1 },
        { type: 'issue', owner: 'Acme', repo: 'App', number: 2 },
        { type: 'doc', path: './README.md' },
        { type: 'issue', owner: 'acme', repo: 'app', number: 1 },
      ],
    });
    expect(mission.objective_refs).toEqual([
      { type: 'issue', owner: 'acme', repo: 'app', number: 2 },
      { type: 'doc', path: 'README.md' },
      { type: 'issue', owner: 'acme', repo: 'app', number: 1 },
    ]);
    expect(work_items).toHaveLength(3);
    expect((await service.get(mission.id)).mission.objective_refs).toEqual(mission.objective_refs);
    expect((await service.list())[0]?.objective_count).toBe(3);
    const events = await service.events(mission.id, { limit: 100 });
    expect(events.some((line) => line.includes('Mission started with 3 objectives'))).toBe(true);
  });

  it('work items, watches, snooze, events and notes', async () => {
    greenPr(ctx.github, REPO, 9);
    const { service, mission, item } = await started({ reviewer_required: false, watch_interval_secs: 600 });
    expect(await service.listWorkItems(mission.id, { status: 'pending' })).toHaveLength(1);
    expect(await code(service.listWorkItems(mission.id, { status: 'bogus' }))).toBe('INVALID_INPUT');
    expect(await code(service.getWorkItem(mission.id, newId()))).toBe('WORK_ITEM_NOT_FOUND');
    expect(await code(service.getWorkItem(newId(), item.id))).toBe('MISSION_NOT_FOUND');
    expect(await code(service.updateWorkItem(mission.id, item.id, { status: 'assigned' }))).toBe(
      'INVALID_TRANSITION',
    );
    // The types keep TypeScript callers right; a JavaScript caller's shapes are checked all the same.
    const untyped = { status: 'finished', artifacts: 'https://example.com' } as never;
    expect(await code(service.updateWorkItem(mission.id, item.id, untyped))).toBe('INVALID_INPUT');
    expect(await code(service.snoozeWatch(mission.id, newId(), '120' as never))).toBe('INVALID_INPUT');
    expect(await code(service.addNote(mission.id, { body: 42 } as never))).toBe('INVALID_INPUT');

    // Completion through the API feeds the submission protocol: the PR gets its four watches.
    const updated = await service.updateWorkItem(mission.id, item.id, {
      status: 'done',
      artifacts: [`https://github.com/${REPO}/pull/9`],
    });
    expect(updated.submission).toBe('waiting_for_external');
    expect(updated.item.status).toBe('blocked');
    const watches = await service.listWatches(mission.id);
    expect(watches.map((watch) => watch.kind).sort()).toEqual([
      'bugbot_comments',
      'mergeability',
      'pr_checks',
      'review_comments',
    ]);
    const first = watches[0] ?? (undefined as never);
    expect(await code(service.snoozeWatch(mission.id, first.id, 59))).toBe('INVALID_INPUT');
    expect(await code(service.snoozeWatch(mission.id, newId(), 60))).toBe('WATCH_NOT_FOUND');
    const snoozed = await service.snoozeWatch(mission.id, first.id, 120);
    expect(snoozed.status).toBe('snoozed');
    expect(await service.listWatches(mission.id, { status: 'snoozed' })).toHaveLength(1);

    expect(await code(service.events(mission.id, { limit: 101 }))).toBe('INVALID_INPUT');
    expect((await service.events(mission.id, { limit: 2 })).length).toBe(2);

    const note = await service.addNote(mission.id, { body: 'pause for the release freeze' });
    expect(note.sender).toBe('conductor');
    expect(await code(service.addNote(mission.id, { body: '  ' }))).toBe('INVALID_INPUT');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    expect((await service.get(mission.id)).mission.state).toBe('blocked');
    expect((await service.listNotes(mission.id))[0]?.processed_at).not.toBeNull();

    await service.addNote(mission.id, { body: 'resume now', sender: 'ops' });
    await dispatcher.pass();
    const status = await service.get(mission.id, { includeWatches: true });
    expect(status.mission.state).toBe('running');
    expect(status.summary.total_work_items).toBe(1);
  });

  it('a redirect note with an unknown or ambiguous agent is logged and skipped, never fatal', async () => {
    const { service, mission, item } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('backend-1', 'backend');
    await agents.add('backend-2', 'backend');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    await service.addNote(mission.id, { body: 'redirect to nobody-here' });
    await service.addNote(mission.id, { body: `redirect ${item.id.slice(0, 4)} to backend-2 better fit` });
    const result = await dispatcher.pass();
    expect(result.failed).toBe(0);
    const events = await service.events(mission.id, { limit: 20 });
    expect(events.some((line) => line.includes('ignored redirect directive'))).toBe(true);
    const current = await service.getWorkItem(mission.id, item.id);
    expect(current.assigned_to).toBe(agents.agents.get('backend-2')?.id);
    const open = (await ctx.town.tasks.list()).filter((task) => task.state === 'assigned');
    expect(open).toHaveLength(1);
    expect(open[0]?.assigned_to).toBe(agents.agents.get('backend-2')?.id);
  });

  it('a redirect to a stopped agent is refused, and the agent holding the item keeps its task', async () => {
    const { service, mission, item } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    const holder = await agents.add('backend-1', 'backend');
    await agents.add('backend-2', 'backend');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    const [held] = (await service.getWorkItem(mission.id, item.id)).task_ids;
    await ctx.town.agents.transition('backend-2', 'stopped');
    await service.addNote(mission.id, {
      body: `redirect ${item.id.slice(0, 4)} to backend-2 knows the schema`,
    });
    await dispatcher.pass();
    await dispatcher.pass();
    expect(await service.getWorkItem(mission.id, item.id)).toMatchObject({
      status: 'assigned',
      assigned_to: holder.id,
      task_ids: [held],
    });
    expect(await ctx.town.tasks.get(held ?? '')).toMatchObject({ state: 'assigned', assigned_to: holder.id });
    const events = await service.events(mission.id, { limit: 20 });
    expect(
      events.some((line) =>
        line.endsWith(
          "] Dispatcher ignored redirect directive from conductor: agent 'backend-2' is stopped; restart it ('tt restart backend-2') or name another agent",
        ),
      ),
    ).toBe(true);
  });

  it('a redirect note never reopens a done item, named by its full id or not', async () => {
    const { service, mission, item } = await started({ reviewer_required: false }, [
      { type: 'doc', path: 'README.md' },
    ]);
    // The other item stays open, so the mission runs on.
    const agents = new ScriptedAgents(ctx.town, ({ workItemId }) =>
      workItemId === item.id ? { complete: 'Implemented in src/login.ts' } : null,
    );
    await agents.add('backend-1', 'backend');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    await agents.play();
    await dispatcher.pass();
    const done = await service.getWorkItem(mission.id, item.id);
    expect(done.status).toBe('done');
    await service.addNote(mission.id, { body: `redirect ${item.id} to backend-1 once more` });
    await dispatcher.pass();
    expect(await service.getWorkItem(mission.id, item.id)).toEqual(done);
    expect((await ctx.town.tasks.list()).map((task) => task.state).sort()).toEqual(['assigned', 'completed']);
    const events = await service.events(mission.id, { limit: 5 });
    expect(
      events.some((line) => line.includes('ignored redirect directive from conductor: could not resolve')),
    ).toBe(true);
  });

  it('parses notes', () => {
    expect(parseNote('Resume and retry now')).toEqual({ kind: 'resume' });
    expect(parseNote('hold on')).toEqual({ kind: 'pause' });
    expect(parseNote('reassign abcd to Bob because')).toEqual({
      kind: 'redirect',
      itemRef: 'abcd',
      agentRef: 'Bob',
      reason: 'because',
    });
    expect(parseNote('redirect everything please')).toEqual({ kind: 'note' });
  });

  it('help requests reach the conductor once, then back off', async () => {
    const { mission } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    await agents.add('busy', 'backend');
    await ctx.town.agents.transition('busy', 'working');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    for (let i = 0; i < 5; i++) await dispatcher.pass();
    const inbox = await ctx.town.messages.peek('conductor');
    const help = inbox.messages.filter(
      (message) =>
        message.type === 'query' && message.question.includes(`[Mission Help Needed] Mission ${mission.id}`),
    );
    expect(help).toHaveLength(1);
    expect((await ctx.town.missions.get(mission.id)).dispatcher_help_request_attempts).toBe(1);
  });

  it('work held by an agent that is gone is handed to another agent', async () => {
    const { service, mission, item } = await started({ reviewer_required: false });
    const agents = new ScriptedAgents(ctx.town, () => null);
    const first = await agents.add('backend-1', 'backend');
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    await dispatcher.pass();
    expect((await service.getWorkItem(mission.id, item.id)).assigned_to).toBe(first.id);
    await ctx.town.agents.transition('backend-1', 'stopped');
    const second = await agents.add('backend-2', 'backend');
    await dispatcher.pass();
    const current = await service.getWorkItem(mission.id, item.id);
    expect(current).toMatchObject({ status: 'assigned', assigned_to: second.id });
    expect(current.task_ids).toHaveLength(2);
    const [old] = await ctx.town.tasks.getMany([current.task_ids[0] ?? '']);
    expect(old?.state).toBe('cancelled');
  });

  it('resume notes never revive a finished mission; pause notes never overwrite a stop', async () => {
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0 });
    const failed = await started();
    await failed.service.fail(failed.mission.id, 'abandoned');
    await failed.service.addNote(failed.mission.id, { body: 'resume please' });
    const stopped = await started();
    await stopped.service.stop(stopped.mission.id);
    await stopped.service.addNote(stopped.mission.id, { body: 'pause again' });
    await dispatcher.pass();
    const f = await failed.service.get(failed.mission.id, { includeEvents: true });
    expect(f.mission).toMatchObject({ state: 'failed', blocked_reason: 'abandoned' });
    expect(f.events?.some((line) => line.includes('ignored resume directive'))).toBe(true);
    const s = await stopped.service.get(stopped.mission.id, { includeEvents: true });
    expect(s.mission).toMatchObject({ state: 'blocked', blocked_reason: 'Stopped by user' });
    expect(s.events?.some((line) => line.includes('ignored pause directive'))).toBe(true);
    expect((await ctx.town.missions.notes(stopped.mission.id))[0]?.processed_at).not.toBeNull();
    expect(await ctx.town.missions.due()).toEqual([]);
  });
});
