import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTinytownClient, TinytownApiError } from '../src/index.js';
import { useTownhall } from './harness.js';

const REPO = 'acme/app';
const issue = (number: number) => ({ type: 'issue' as const, owner: 'acme', repo: 'app', number });

async function apiError(promise: Promise<unknown>): Promise<TinytownApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TinytownApiError);
  return error as TinytownApiError;
}

describe('the SDK never drifts from the server', () => {
  const hall = useTownhall();

  it('the committed openapi.json is exactly what townhall serves', async () => {
    const committed: unknown = JSON.parse(
      await readFile(new URL('../openapi.json', import.meta.url), 'utf8'),
    );
    const served: unknown = await (await fetch(`${hall.baseUrl}/openapi.json`)).json();
    // If this fails, run `pnpm openapi` at the repository root and commit the result.
    expect(served).toEqual(committed);
  });
});

describe('the routes beyond the seed contract, through the SDK', () => {
  const hall = useTownhall();

  it('agent lifecycle, tasks, events and orphan tasks', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    expect(await client.health.healthz()).toMatchObject({ status: 'ok' });
    expect(await client.health.readyz()).toMatchObject({ status: 'ready' });
    await client.agents.spawn({ name: 'dev', cli: 'codex' });
    expect(await client.agents.get('dev')).toMatchObject({ name: 'dev', cli: 'codex', state: 'Starting' });
    expect(await client.agents.interrupt('dev')).toMatchObject({ agent: 'dev' });
    expect(await client.agents.get('dev')).toMatchObject({ state: 'Paused' });
    await client.agents.resume('dev');
    expect(await client.agents.get('dev')).toMatchObject({ state: 'Idle' });

    const first = await client.tasks.assign({ agent: 'dev', task: 'one' });
    const second = await client.tasks.assign({ agent: 'dev', task: 'two' });
    expect((await client.tasks.list({ agent: 'dev' })).count).toBe(2);
    expect(await client.tasks.complete(first.task_id, { result: 'shipped' })).toMatchObject({
      state: 'completed',
      result: 'shipped',
    });
    expect(await client.tasks.get(first.task_id)).toMatchObject({ state: 'completed' });
    expect(await client.tasks.fail(second.task_id, { error: 'blocked' })).toMatchObject({ state: 'failed' });
    expect(await apiError(client.tasks.complete(first.task_id))).toMatchObject({
      status: 409,
      code: 'INVALID_TRANSITION',
    });
    expect((await client.tasks.list({ state: 'failed' })).count).toBe(1);
    const events = await client.events.list({ limit: 5 });
    expect(events.events.map((event) => event.event_type)).toContain('task_failed');

    await client.tasks.assign({ agent: 'dev', task: 'three' });
    expect(await client.agents.close('dev')).toMatchObject({ agent: 'dev' });
    await client.agents.kill('dev');
    expect(await client.recovery.orphanTasks({ action: 'to_backlog' })).toMatchObject({ count: 1 });
    expect((await client.backlog.list()).count).toBe(1);
  });
});

describe('mission operations through the SDK, against a real townhall, Redis and a fake GitHub', () => {
  const hall = useTownhall();

  it('start, list, get, work items, watches, events, notes, stop, resume, complete, fail, delete', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    hall.github.setIssue(REPO, { number: 1, title: 'Implement the data model' });
    hall.github.setIssue(REPO, { number: 2, title: 'Implement the API', body: 'Depends on #1.' });

    const started = await client.missions.start({
      objectives: [issue(1), issue(2)],
      policy: { reviewer_required: false },
    });
    const id = started.mission_id;
    expect(started.work_items.map((item) => item.source_ref)).toEqual([`${REPO}#1`, `${REPO}#2`]);
    expect((await client.missions.list()).missions.map((mission) => mission.id)).toContain(id);
    const status = await client.missions.get(id, { include_work: true, include_watches: true });
    expect(status).toMatchObject({ mission: { id, state: 'running' } });

    const items = await client.missions.workItems(id);
    const [first] = items.work_items;
    expect(await client.missions.workItem(id, first!.id)).toMatchObject({ id: first!.id });
    await client.missions.updateWorkItem(id, first!.id, {
      status: 'done',
      artifacts: [`https://github.com/${REPO}/pull/7`],
    });
    const watches = await client.missions.watches(id);
    expect(watches.count).toBe(4);
    const watch = watches.watches[0]!;
    expect(await client.missions.snoozeWatch(id, watch.id, { duration_secs: 300 })).toMatchObject({
      status: 'snoozed',
    });
    expect(await apiError(client.missions.snoozeWatch(id, watch.id, { duration_secs: 5 }))).toMatchObject({
      status: 400,
    });
    expect((await client.missions.events(id, { limit: 10 })).events.length).toBeGreaterThan(0);
    await client.missions.addNote(id, { body: 'pause please' });
    expect((await client.missions.notes(id)).notes.map((note) => note.body)).toContain('pause please');

    expect(await apiError(client.missions.resume(id))).toMatchObject({
      status: 409,
      code: 'INVALID_TRANSITION',
    });
    await client.missions.stop(id);
    expect(await client.missions.get(id)).toMatchObject({ mission: { state: 'blocked' } });
    await client.missions.resume(id);
    expect(await apiError(client.missions.delete(id))).toMatchObject({ status: 409 });
    await client.missions.fail(id, { reason: 'changed our minds' });
    expect(await client.missions.get(id)).toMatchObject({ mission: { state: 'failed' } });
    expect(await apiError(client.missions.complete(id))).toMatchObject({ status: 409 });
    expect(await client.missions.delete(id)).toMatchObject({ mission_id: id, deleted: true });
    const other = await client.missions.start({ objectives: [issue(1)] });
    await client.missions.complete(other.mission_id);
    expect(await client.missions.get(other.mission_id)).toMatchObject({ mission: { state: 'completed' } });
    expect(await apiError(client.missions.get(id))).toMatchObject({ status: 404, code: 'MISSION_NOT_FOUND' });
    expect(await apiError(client.missions.get('not-a-uuid'))).toMatchObject({ status: 400 });
  });
});
