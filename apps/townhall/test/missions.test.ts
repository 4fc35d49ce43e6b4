import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitHubForge, Dispatcher } from '@tinytown/mission';
import { type FakeGitHub, startFakeGitHub } from '@tinytown/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, call, dumpKeys, expectProblem, useScopedKeys, useTownhall } from './support.js';

const REPO = 'acme/app';
const UNKNOWN = '6f1c0000-0000-4000-8000-000000000000';
const issue = (number: number) => ({ type: 'issue', owner: 'acme', repo: 'app', number });
const pr = (number: number) => `https://github.com/${REPO}/pull/${number}`;

/** A town directory with one design doc, for doc objectives. */
const ROOT = mkdtempSync(join(tmpdir(), 'townhall-missions-'));
mkdirSync(join(ROOT, 'docs'));
writeFileSync(join(ROOT, 'docs', 'design.md'), '# Auth design\n\nHow login works.\n');

/** A fake GitHub for the file, reset per test; the server's forge points at it. */
function useFakeGitHub(): { readonly current: FakeGitHub } {
  let github: FakeGitHub | undefined;
  beforeAll(async () => {
    github = await startFakeGitHub();
  });
  beforeEach(() => {
    github?.reset();
  });
  afterAll(async () => {
    await github?.close();
  });
  return {
    get current() {
      if (!github) throw new Error('fake GitHub not started');
      return github;
    },
  };
}

function scriptIssues(github: FakeGitHub): void {
  github.setIssue(REPO, { number: 1, title: 'Implement the data model', labels: ['backend'] });
  github.setIssue(REPO, { number: 2, title: 'Implement the API', body: 'Depends on #1.' });
  github.setIssue(REPO, { number: 3, title: 'Write the API tests', body: 'after #2' });
}

function ok(response: ApiResponse, status = 200): void {
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
}

describe('mission routes', () => {
  const github = useFakeGitHub();
  const h = useTownhall({
    server: () => ({ forge: createGitHubForge({ baseUrl: github.current.url }), root: ROOT }),
  });

  async function start(policy: Record<string, unknown> = { reviewer_required: false }) {
    scriptIssues(github.current);
    const response = await call(h.base, 'POST', '/v1/missions', {
      body: { objectives: [issue(1), issue(2), issue(3)], policy },
    });
    ok(response, 201);
    return response.json as {
      mission_id: string;
      work_items: { id: string; title: string; source_ref: string; depends_on: string[] }[];
    };
  }

  it('lists one mission’s events, and refuses a mission with an agent or a non-UUID', async () => {
    const { mission_id } = await start();
    await h.town.backlog.add('unrelated');
    const events = await call(h.base, 'GET', `/v1/events?mission=${mission_id}`);
    ok(events, 200);
    expect(events.json.count).toBeGreaterThan(0);
    expect(
      events.json.events.every((event: { mission_id?: string }) => event.mission_id === mission_id),
    ).toBe(true);
    expectProblem(await call(h.base, 'GET', '/v1/events?mission=plan'), 400, 'VALIDATION_FAILED');
    await h.town.agents.register({ name: 'solo', cli: 'claude' });
    expectProblem(
      await call(h.base, 'GET', `/v1/events?mission=${mission_id}&agent=solo`),
      400,
      'INVALID_INPUT',
    );
  });

  it('starts a mission from issues (201) with its dependency graph, and lists it', async () => {
    const started = await start({ reviewer_required: false, max_parallel_items: 3 });
    expect(started).toMatchObject({ state: 'running', objective_count: 3, work_item_count: 3 });
    const [first, second, third] = started.work_items;
    expect(started.work_items.map((item) => item.source_ref)).toEqual([
      'acme/app#1',
      'acme/app#2',
      'acme/app#3',
    ]);
    expect(second?.depends_on).toEqual([first?.id]);
    expect(third?.depends_on).toEqual([second?.id]);

    const list = await call(h.base, 'GET', '/v1/missions');
    ok(list);
    expect(list.json).toMatchObject({
      count: 1,
      missions: [
        {
          id: started.mission_id,
          state: 'running',
          objective_count: 3,
          work_item_count: 3,
          completed_count: 0,
        },
      ],
    });
    expect(list.json.missions[0].created_at).toBeTruthy();

    // active_only=true (the default) hides finished missions; false shows them.
    ok(await call(h.base, 'POST', `/v1/missions/${started.mission_id}/complete`));
    expect((await call(h.base, 'GET', '/v1/missions')).json).toEqual({ missions: [], count: 0 });
    expect((await call(h.base, 'GET', '/v1/missions?active_only=true')).json.count).toBe(0);
    const all = await call(h.base, 'GET', '/v1/missions?active_only=false');
    expect(all.json.missions.map((m: { state: string }) => m.state)).toEqual(['completed']);
    expectProblem(await call(h.base, 'GET', '/v1/missions?active_only=maybe'), 400, 'VALIDATION_FAILED');
  });

  it('a doc objective inside the town becomes a design item titled by its heading', async () => {
    const response = await call(h.base, 'POST', '/v1/missions', {
      body: { objectives: [{ type: 'doc', path: 'docs/design.md' }] },
    });
    ok(response, 201);
    expect(response.json.work_items).toMatchObject([
      { title: 'Auth design', kind: 'design', status: 'pending' },
    ]);
    const status = await call(h.base, 'GET', `/v1/missions/${response.json.mission_id}`);
    expect(status.json.mission.policy).toEqual({
      max_parallel_items: 2,
      reviewer_required: true,
      auto_merge: false,
      watch_interval_secs: 180,
    });
  });

  it('refuses bad objectives with 400 and stores nothing', async () => {
    const gh = github.current;
    gh.setIssue(REPO, { number: 1, title: 'Implement A', body: 'depends on #2' });
    gh.setIssue(REPO, { number: 2, title: 'Implement B', body: 'depends on #1' });
    gh.setIssue(REPO, { number: 3, title: 'Implement C' });
    const cases: [unknown, string, RegExp?][] = [
      [{ objectives: [] }, 'VALIDATION_FAILED'],
      [{}, 'VALIDATION_FAILED'],
      [{ objectives: [{ type: 'pr', owner: 'acme', repo: 'app', number: 1 }] }, 'VALIDATION_FAILED'],
      [{ objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: -1 }] }, 'VALIDATION_FAILED'],
      [{ objectives: [{ type: 'issue', owner: 'acme', repo: 'app' }] }, 'VALIDATION_FAILED'],
      [{ objectives: [issue(3)], policy: { max_parallel_items: 0 } }, 'VALIDATION_FAILED'],
      [{ objectives: [issue(3)], policy: { auto_merge: 'yes' } }, 'VALIDATION_FAILED'],
      [{ objectives: [issue(1), issue(2)] }, 'DEPENDENCY_CYCLE', /#1.*#2|#2.*#1/],
      [{ objectives: [issue(3), issue(42)] }, 'OBJECTIVE_INVALID', /acme\/app#42/],
      [{ objectives: [{ type: 'doc', path: '../../etc/passwd' }] }, 'OBJECTIVE_INVALID'],
      [{ objectives: [{ type: 'doc', path: 'docs/missing.md' }] }, 'OBJECTIVE_INVALID'],
    ];
    const before = await dumpKeys(h.redis.client);
    for (const [body, code, detail] of cases) {
      const response = await call(h.base, 'POST', '/v1/missions', { body });
      expectProblem(response, 400, code);
      if (detail) expect(response.json.detail).toMatch(detail);
    }
    expect(await dumpKeys(h.redis.client)).toEqual(before);
    expect(await h.redis.client.keys('*mission*')).toEqual([]);
  });

  it('GitHub failing is a 503 FORGE_ERROR, not a 400', async () => {
    github.current.failRequests('GET', /\/issues\//, { status: 500 });
    const response = await call(h.base, 'POST', '/v1/missions', { body: { objectives: [issue(1)] } });
    expectProblem(response, 503, 'FORGE_ERROR');
    expect(await h.redis.client.keys('*mission*')).toEqual([]);
  });

  it('gets a mission with summary counts, and work, watches and events on request', async () => {
    const { mission_id, work_items } = await start();
    const plain = await call(h.base, 'GET', `/v1/missions/${mission_id}`);
    ok(plain);
    expect(plain.json.mission).toMatchObject({ id: mission_id, state: 'running', blocked_reason: null });
    expect(plain.json.mission.objective_refs).toEqual([issue(1), issue(2), issue(3)]);
    expect(plain.json.summary).toEqual({
      total_work_items: 3,
      pending: 3,
      ready: 0,
      assigned: 0,
      running: 0,
      done: 0,
      blocked: 0,
      active_watches: 0,
    });
    expect(plain.json).not.toHaveProperty('work_items');
    expect(plain.json).not.toHaveProperty('watches');
    expect(plain.json).not.toHaveProperty('events');

    const first = work_items[0]?.id ?? '';
    ok(
      await call(h.base, 'PATCH', `/v1/missions/${mission_id}/work/${first}`, {
        body: { status: 'done', artifacts: [pr(7)] },
      }),
    );
    const full = await call(
      h.base,
      'GET',
      `/v1/missions/${mission_id.toUpperCase()}?include_work=true&include_watches=true&include_events=true`,
    );
    ok(full);
    expect(full.json.work_items).toHaveLength(3);
    expect(full.json.watches).toHaveLength(4);
    expect(full.json.events[0]).toMatch(/^\[\d{4}-/);
    expect(full.json.summary).toMatchObject({
      total_work_items: 3,
      pending: 2,
      blocked: 1,
      active_watches: 4,
    });

    expectProblem(await call(h.base, 'GET', `/v1/missions/${UNKNOWN}`), 404, 'MISSION_NOT_FOUND');
    expectProblem(await call(h.base, 'GET', '/v1/missions/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectProblem(
      await call(h.base, 'GET', `/v1/missions/${mission_id}?include_work=1x`),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('stop, resume, complete, fail and delete follow the contract codes', async () => {
    const { mission_id: id } = await start();
    const act = (path: string, options: { body?: unknown; method?: string } = {}) =>
      call(
        h.base,
        options.method ?? 'POST',
        `/v1/missions/${id}${path}`,
        options.body === undefined ? {} : { body: options.body },
      );

    expectProblem(await act('/resume'), 409, 'INVALID_TRANSITION');
    const stopped = await act('/stop');
    ok(stopped);
    expect(stopped.json).toEqual({
      mission_id: id,
      status: 'stopped',
      previous_state: 'running',
      new_state: 'blocked',
    });
    expect((await act('/stop', { body: { force: false } })).json.status).toBe('already stopped');
    expect((await call(h.base, 'GET', `/v1/missions/${id}`)).json.mission.blocked_reason).toBe(
      'Stopped by user',
    );
    const resumed = await act('/resume');
    ok(resumed);
    expect(resumed.json).toMatchObject({
      status: 'resumed',
      previous_state: 'blocked',
      new_state: 'running',
    });

    // Delete: 409 while active, unless force.
    expectProblem(await act('', { method: 'DELETE' }), 409, 'INVALID_TRANSITION');
    expectProblem(await act('?force=false', { method: 'DELETE' }), 409, 'INVALID_TRANSITION');

    const forced = await act('/stop', { body: { force: true } });
    expect(forced.json).toMatchObject({ status: 'stopped (forced)', new_state: 'failed' });
    expectProblem(await act('/resume'), 409, 'INVALID_TRANSITION');
    expectProblem(await act('/stop'), 409, 'INVALID_TRANSITION');
    expectProblem(await act('/complete'), 409, 'INVALID_TRANSITION');
    expect((await act('/fail')).json).toMatchObject({ status: 'already failed', new_state: 'failed' });
    const deleted = await act('', { method: 'DELETE' });
    ok(deleted);
    expect(deleted.json).toEqual({ mission_id: id, deleted: true });
    expectProblem(await call(h.base, 'GET', `/v1/missions/${id}`), 404, 'MISSION_NOT_FOUND');
    expectProblem(await act('', { method: 'DELETE' }), 404, 'MISSION_NOT_FOUND');

    // Complete and fail with a reason; force-delete of a running mission.
    const other = await start();
    const otherId = other.mission_id;
    const completed = await call(h.base, 'POST', `/v1/missions/${otherId}/complete`);
    expect(completed.json).toMatchObject({
      status: 'completed',
      previous_state: 'running',
      new_state: 'completed',
    });
    expect((await call(h.base, 'POST', `/v1/missions/${otherId}/complete`)).json.status).toBe(
      'already completed',
    );
    expectProblem(await call(h.base, 'POST', `/v1/missions/${otherId}/fail`), 409, 'INVALID_TRANSITION');

    const third = (await start()).mission_id;
    const failed = await call(h.base, 'POST', `/v1/missions/${third}/fail`, {
      body: { reason: 'wrong repo' },
    });
    expect(failed.json).toMatchObject({ status: 'failed', new_state: 'failed' });
    expect((await call(h.base, 'GET', `/v1/missions/${third}`)).json.mission.blocked_reason).toBe(
      'wrong repo',
    );

    const fourth = (await start()).mission_id;
    const forceDeleted = await call(h.base, 'DELETE', `/v1/missions/${fourth}?force=true`);
    expect(forceDeleted.json).toEqual({ mission_id: fourth, deleted: true });
  });

  it('lists, gets and patches work items; completion through PATCH feeds the submission protocol', async () => {
    const { mission_id: id, work_items } = await start();
    const [first, second] = work_items;
    const base = `/v1/missions/${id}/work`;

    const list = await call(h.base, 'GET', base);
    ok(list);
    expect(list.json).toMatchObject({ mission_id: id, count: 3 });
    expect(list.json.work_items.map((item: { id: string }) => item.id)).toEqual(
      work_items.map((item) => item.id),
    );
    expect((await call(h.base, 'GET', `${base}?status=pending`)).json.count).toBe(3);
    expect((await call(h.base, 'GET', `${base}?status=done`)).json).toEqual({
      mission_id: id,
      work_items: [],
      count: 0,
    });
    expectProblem(await call(h.base, 'GET', `${base}?status=finished`), 400, 'VALIDATION_FAILED');

    const one = await call(h.base, 'GET', `${base}/${first?.id}`);
    ok(one);
    expect(one.json).toMatchObject({
      id: first?.id,
      mission_id: id,
      kind: 'implement',
      status: 'pending',
      artifact_refs: [],
    });

    // Artifacts only; then a status.
    const noted = await call(h.base, 'PATCH', `${base}/${first?.id}`, { body: { artifacts: ['abc123'] } });
    expect(noted.json).toMatchObject({ status: 'pending', artifact_refs: ['abc123'] });
    const running = await call(h.base, 'PATCH', `${base}/${first?.id}`, { body: { status: 'running' } });
    expect(running.json.status).toBe('running');

    // done with a PR: the item waits on the PR's four watches.
    const done = await call(h.base, 'PATCH', `${base}/${first?.id}`, {
      body: { status: 'done', artifacts: [pr(9)] },
    });
    ok(done);
    expect(done.json.status).toBe('blocked');
    expect(done.json.artifact_refs).toContain(pr(9));
    const watches = await call(h.base, 'GET', `/v1/missions/${id}/watches`);
    expect(watches.json.watches.map((watch: { kind: string }) => watch.kind).sort()).toEqual([
      'bugbot_comments',
      'mergeability',
      'pr_checks',
      'review_comments',
    ]);
    const events = await call(h.base, 'GET', `/v1/missions/${id}/events`);
    expect(events.json.events[0]).toMatch(/submitted acme\/app#9: watching checks/);

    // done without a PR finishes the item (no reviewer required by this policy).
    const finished = await call(h.base, 'PATCH', `${base}/${second?.id}`, { body: { status: 'done' } });
    expect(finished.json.status).toBe('done');
    expectProblem(
      await call(h.base, 'PATCH', `${base}/${second?.id}`, { body: { status: 'ready' } }),
      409,
      'INVALID_TRANSITION',
    );
  });

  it('a completion through PATCH asks for a review when the policy requires one', async () => {
    const { mission_id: id, work_items } = await start({ reviewer_required: true });
    await h.town.agents.register({ name: 'reviewer-1', cli: 'fake', role: 'reviewer' });
    await h.town.agents.transition('reviewer-1', 'idle');
    const first = work_items[0]?.id ?? '';
    const done = await call(h.base, 'PATCH', `/v1/missions/${id}/work/${first}`, {
      body: { status: 'done' },
    });
    ok(done);
    expect(done.json.status).toBe('blocked');
    const tasks = await h.town.tasks.list();
    const reviews = tasks.filter((task) => task.tags.includes('mission-review-task'));
    expect(reviews).toHaveLength(1);
    expect(reviews[0]?.tags).toContain(`work-item:${first}`);
  });

  it('a dispatcher tick assigns work; progress shows through the routes', async () => {
    const { mission_id: id, work_items } = await start();
    await h.town.agents.register({ name: 'backend-1', cli: 'fake', role: 'backend' });
    await h.town.agents.transition('backend-1', 'idle');
    const forge = createGitHubForge({ baseUrl: github.current.url });
    await new Dispatcher({ town: h.town, forge, pollMs: 0 }).pass();
    const status = await call(h.base, 'GET', `/v1/missions/${id}?include_work=true`);
    expect(status.json.summary).toMatchObject({ assigned: 1, pending: 2 });
    const assigned = status.json.work_items.find((item: { status: string }) => item.status === 'assigned');
    expect(assigned.id).toBe(work_items[0]?.id);
    expect(assigned.assigned_to).toBe((await h.town.agents.resolve('backend-1')).id);
    const listed = await call(h.base, 'GET', `/v1/missions/${id}/work?status=assigned`);
    expect(listed.json.count).toBe(1);
    expect(status.json.failed_items).toEqual([]);

    // The agent gives up: the next pass blocks the item, and the status says why and on what.
    const taskId = assigned.task_ids.at(-1);
    await h.town.tasks.fail(taskId, 'the schema migration needs a DBA');
    await new Dispatcher({ town: h.town, forge, pollMs: 0 }).pass();
    const failed = await call(h.base, 'GET', `/v1/missions/${id}`);
    expect(failed.json.mission.blocked_reason).toContain('failed');
    expect(failed.json.failed_items).toEqual([
      {
        work_item_id: assigned.id,
        title: assigned.title,
        task_id: taskId,
        task_kind: 'work',
        task_state: 'failed',
        result: 'the schema migration needs a DBA',
        reason: `its work task ${taskId.slice(0, 8)} failed: the schema migration needs a DBA`,
        help_requested: true,
      },
    ]);
  });

  it('DELETE ?force=true of a running mission cancels the task its agent holds', async () => {
    const { mission_id: id } = await start();
    await h.town.agents.register({ name: 'backend-1', cli: 'fake', role: 'backend' });
    await h.town.agents.transition('backend-1', 'idle');
    await new Dispatcher({ town: h.town, pollMs: 0 }).pass();
    const [held] = await h.town.tasks.list({ agent: 'backend-1' });
    expect(held?.state).toBe('assigned');
    const deleted = await call(h.base, 'DELETE', `/v1/missions/${id}?force=true`);
    expect(deleted.json).toEqual({ mission_id: id, deleted: true });
    expect(await h.town.tasks.get(held?.id ?? '')).toMatchObject({ state: 'cancelled' });
    expectProblem(await call(h.base, 'GET', `/v1/missions/${id}`), 404, 'MISSION_NOT_FOUND');
  });

  it('lists and snoozes watches', async () => {
    const { mission_id: id, work_items } = await start();
    const first = work_items[0]?.id ?? '';
    ok(
      await call(h.base, 'PATCH', `/v1/missions/${id}/work/${first}`, {
        body: { status: 'done', artifacts: [pr(5)] },
      }),
    );
    const list = await call(h.base, 'GET', `/v1/missions/${id}/watches`);
    ok(list);
    expect(list.json).toMatchObject({ mission_id: id, count: 4 });
    const watch = list.json.watches[0];
    expect(watch).toMatchObject({
      mission_id: id,
      work_item_id: first,
      status: 'active',
      target_ref: `${REPO}#5`,
    });
    expect((await call(h.base, 'GET', `/v1/missions/${id}/watches?status=active`)).json.count).toBe(4);
    expect((await call(h.base, 'GET', `/v1/missions/${id}/watches?status=snoozed`)).json.count).toBe(0);
    expectProblem(
      await call(h.base, 'GET', `/v1/missions/${id}/watches?status=sleeping`),
      400,
      'VALIDATION_FAILED',
    );

    const before = Date.now();
    const snoozed = await call(h.base, 'POST', `/v1/missions/${id}/watches/${watch.id}/snooze`, {
      body: { duration_secs: 600 },
    });
    ok(snoozed);
    expect(snoozed.json).toMatchObject({ id: watch.id, status: 'snoozed' });
    expect(Date.parse(snoozed.json.next_due_at)).toBeGreaterThanOrEqual(before + 599_000);
    expect((await call(h.base, 'GET', `/v1/missions/${id}/watches?status=snoozed`)).json.count).toBe(1);
    // The minimum is 60 s.
    ok(
      await call(h.base, 'POST', `/v1/missions/${id}/watches/${watch.id}/snooze`, {
        body: { duration_secs: 60 },
      }),
    );
  });

  it('returns events (limit 1-100) and takes notes', async () => {
    const { mission_id: id } = await start();
    const events = await call(h.base, 'GET', `/v1/missions/${id}/events`);
    ok(events);
    expect(events.json.mission_id).toBe(id);
    expect(events.json.count).toBe(2);
    expect(events.json.events[0]).toMatch(/Compiled 3 work item/);
    expect(events.json.events[1]).toMatch(/Mission started with 3 objective/);
    expect((await call(h.base, 'GET', `/v1/missions/${id}/events?limit=1`)).json.count).toBe(1);
    ok(await call(h.base, 'GET', `/v1/missions/${id}/events?limit=100`));

    const note = await call(h.base, 'POST', `/v1/missions/${id}/notes`, {
      body: { body: 'pause for the freeze', sender: 'ops' },
    });
    ok(note, 201);
    expect(note.json).toMatchObject({
      mission_id: id,
      sender: 'ops',
      body: 'pause for the freeze',
      processed_at: null,
    });
    const notes = await call(h.base, 'GET', `/v1/missions/${id}/notes`);
    expect(notes.json).toMatchObject({ mission_id: id, count: 1, notes: [{ id: note.json.id }] });
    expect((await call(h.base, 'GET', `/v1/missions/${id}/events?limit=1`)).json.events[0]).toMatch(
      /Note from ops: pause for the freeze/,
    );
    // The dispatcher acts on it: the mission pauses.
    const forge = createGitHubForge({ baseUrl: github.current.url });
    await new Dispatcher({ town: h.town, forge, pollMs: 0 }).pass();
    expect((await call(h.base, 'GET', `/v1/missions/${id}`)).json.mission.state).toBe('blocked');
    expect((await call(h.base, 'GET', `/v1/missions/${id}/notes`)).json.notes[0].processed_at).not.toBeNull();
  });
});

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Refused under the mission's lease: only its fencing counter moves. */
  fenced?: boolean;
}

const M = '{mission}';
const CASES: Case[] = [
  // Unknown missions: 404 on every route.
  ...(
    [
      ['GET', ''],
      ['DELETE', ''],
      ['DELETE', '?force=true'],
      ['POST', '/resume'],
      ['POST', '/stop'],
      ['POST', '/complete'],
      ['POST', '/fail'],
      ['GET', '/work'],
      ['GET', '/watches'],
      ['GET', '/events'],
      ['GET', '/notes'],
    ] as const
  ).map(([method, suffix]) => ({
    name: 'unknown mission',
    method,
    path: `/v1/missions/${UNKNOWN}${suffix}`,
    status: 404,
    code: 'MISSION_NOT_FOUND',
  })),
  {
    name: 'unknown mission',
    method: 'GET',
    path: `/v1/missions/${UNKNOWN}/work/{item}`,
    status: 404,
    code: 'MISSION_NOT_FOUND',
  },
  {
    name: 'unknown mission',
    method: 'PATCH',
    path: `/v1/missions/${UNKNOWN}/work/{item}`,
    body: { status: 'running' },
    status: 404,
    code: 'MISSION_NOT_FOUND',
  },
  {
    name: 'unknown mission',
    method: 'POST',
    path: `/v1/missions/${UNKNOWN}/watches/{watch}/snooze`,
    body: { duration_secs: 60 },
    status: 404,
    code: 'MISSION_NOT_FOUND',
  },
  {
    name: 'unknown mission',
    method: 'POST',
    path: `/v1/missions/${UNKNOWN}/notes`,
    body: { body: 'hello' },
    status: 404,
    code: 'MISSION_NOT_FOUND',
  },
  // Malformed ids: 400.
  ...(
    [
      ['GET', '/v1/missions/42'],
      ['DELETE', '/v1/missions/42'],
      ['POST', '/v1/missions/42/stop'],
      ['POST', '/v1/missions/42/resume'],
      ['GET', '/v1/missions/42/work'],
      ['GET', `/v1/missions/${M}/work/not-an-id`],
      ['GET', '/v1/missions/nope/work/{item}'],
      ['GET', '/v1/missions/42/watches'],
      ['GET', '/v1/missions/42/events'],
      ['GET', '/v1/missions/42/notes'],
    ] as const
  ).map(([method, path]) => ({ name: 'malformed id', method, path, status: 400, code: 'VALIDATION_FAILED' })),
  {
    name: 'malformed work item id',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/xyz`,
    body: { status: 'running' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'malformed watch id',
    method: 'POST',
    path: `/v1/missions/${M}/watches/xyz/snooze`,
    body: { duration_secs: 60 },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // Unknown work items and watches.
  {
    name: 'unknown work item',
    method: 'GET',
    path: `/v1/missions/${M}/work/${UNKNOWN}`,
    status: 404,
    code: 'WORK_ITEM_NOT_FOUND',
  },
  {
    name: 'unknown work item',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/${UNKNOWN}`,
    body: { status: 'running' },
    status: 404,
    code: 'WORK_ITEM_NOT_FOUND',
    fenced: true,
  },
  {
    name: 'unknown watch',
    method: 'POST',
    path: `/v1/missions/${M}/watches/${UNKNOWN}/snooze`,
    body: { duration_secs: 60 },
    status: 404,
    code: 'WATCH_NOT_FOUND',
    fenced: true,
  },
  // Bodies and queries.
  {
    name: 'empty patch',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    body: {},
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'unknown status',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    body: { status: 'finished' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'artifacts not a list',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    body: { artifacts: 'x' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'blank artifact',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    body: { artifacts: ['  '] },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'no body',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'status assigned (redirect with a note instead)',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    body: { status: 'assigned' },
    status: 409,
    code: 'INVALID_TRANSITION',
    fenced: true,
  },
  {
    name: 'text body',
    method: 'PATCH',
    path: `/v1/missions/${M}/work/{item}`,
    raw: 'done',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'snooze below 60 s',
    method: 'POST',
    path: `/v1/missions/${M}/watches/{watch}/snooze`,
    body: { duration_secs: 59 },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'snooze not whole seconds',
    method: 'POST',
    path: `/v1/missions/${M}/watches/{watch}/snooze`,
    body: { duration_secs: 90.5 },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'snooze as string',
    method: 'POST',
    path: `/v1/missions/${M}/watches/{watch}/snooze`,
    body: { duration_secs: '120' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'snooze without duration',
    method: 'POST',
    path: `/v1/missions/${M}/watches/{watch}/snooze`,
    body: {},
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events limit above 100',
    method: 'GET',
    path: `/v1/missions/${M}/events?limit=101`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events limit 0',
    method: 'GET',
    path: `/v1/missions/${M}/events?limit=0`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events limit not a number',
    method: 'GET',
    path: `/v1/missions/${M}/events?limit=ten`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'work status filter',
    method: 'GET',
    path: `/v1/missions/${M}/work?status=finished`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'force not a boolean',
    method: 'DELETE',
    path: `/v1/missions/${M}?force=yes`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'delete an active mission',
    method: 'DELETE',
    path: `/v1/missions/${M}`,
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'resume a running mission',
    method: 'POST',
    path: `/v1/missions/${M}/resume`,
    status: 409,
    code: 'INVALID_TRANSITION',
    fenced: true,
  },
  {
    name: 'stop force as string',
    method: 'POST',
    path: `/v1/missions/${M}/stop`,
    body: { force: 'true' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'fail reason as number',
    method: 'POST',
    path: `/v1/missions/${M}/fail`,
    body: { reason: 7 },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'blank note',
    method: 'POST',
    path: `/v1/missions/${M}/notes`,
    body: { body: '   ' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'note without body',
    method: 'POST',
    path: `/v1/missions/${M}/notes`,
    body: { sender: 'ops' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v1/missions',
    raw: '{"objectives": [',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'objectives not a list',
    method: 'POST',
    path: '/v1/missions',
    body: { objectives: { type: 'doc', path: 'docs/design.md' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
];

describe('mission routes refuse bad input and change nothing', () => {
  const github = useFakeGitHub();
  const h = useTownhall({
    server: () => ({ forge: createGitHubForge({ baseUrl: github.current.url }), root: ROOT }),
  });

  it.each(
    CASES.map((testCase) => [`${testCase.method} ${testCase.path} — ${testCase.name}`, testCase] as const),
  )('%s', async (_label, testCase) => {
    github.current.setIssue(REPO, { number: 1, title: 'Implement login' });
    const started = await call(h.base, 'POST', '/v1/missions', {
      body: { objectives: [issue(1)], policy: { reviewer_required: false } },
    });
    ok(started, 201);
    const missionId: string = started.json.mission_id;
    const itemId: string = started.json.work_items[0].id;
    ok(
      await call(h.base, 'PATCH', `/v1/missions/${missionId}/work/${itemId}`, {
        body: { status: 'done', artifacts: [pr(3)] },
      }),
    );
    const watchId: string = (await call(h.base, 'GET', `/v1/missions/${missionId}/watches`)).json.watches[0]
      .id;
    const path = testCase.path.replace(M, missionId).replace('{item}', itemId).replace('{watch}', watchId);

    const before = await dumpKeys(h.redis.client);
    const response = await call(h.base, testCase.method, path, {
      ...(testCase.body !== undefined ? { body: testCase.body } : {}),
      ...(testCase.raw !== undefined ? { raw: testCase.raw } : {}),
      ...(testCase.headers ? { headers: testCase.headers } : {}),
    });
    expectProblem(response, testCase.status, testCase.code);
    if (testCase.code === 'VALIDATION_FAILED') expect(response.json.errors.length).toBeGreaterThan(0);
    const after = await dumpKeys(h.redis.client);
    const fence = Object.keys(after).filter((key) => key.endsWith(':fence'));
    if (testCase.fenced) {
      // The action took the mission's lease (one more fencing token) and wrote nothing else.
      expect(fence).toHaveLength(1);
      const key = fence[0] ?? '';
      expect(Number(after[key])).toBe(Number(before[key] ?? 0) + 1);
      delete after[key];
      delete before[key];
    }
    expect(after).toEqual(before);
  });
});

describe('mission routes by route class', () => {
  const github = useFakeGitHub();
  const { keys, section } = useScopedKeys();

  const h = useTownhall({
    townhall: section,
    server: () => ({ forge: createGitHubForge({ baseUrl: github.current.url }), root: ROOT }),
  });

  it('reads need town.read; start, resume, updates and notes town.write; stop, complete, fail, delete agent.manage', async () => {
    github.current.setIssue(REPO, { number: 1, title: 'Implement login' });
    const as = (who: keyof typeof keys) => ({ authorization: `Bearer ${keys[who]}` });
    const denied = async (method: string, path: string, allowed: keyof typeof keys, body?: unknown) => {
      // The three single-scope keys; admin may do everything.
      for (const who of ['reader', 'writer', 'manager'] as const) {
        if (who === allowed) continue;
        const response = await call(h.base, method, path, {
          headers: as(who),
          ...(body !== undefined ? { body } : {}),
        });
        expect(`${who} ${method} ${path} ${response.status}`).toBe(`${who} ${method} ${path} 403`);
      }
    };
    const start = { objectives: [issue(1)] };
    await denied('POST', '/v1/missions', 'writer', start);
    const started = await call(h.base, 'POST', '/v1/missions', { headers: as('writer'), body: start });
    ok(started, 201);
    const id: string = started.json.mission_id;
    const item: string = started.json.work_items[0].id;

    await denied('GET', '/v1/missions', 'reader');
    ok(await call(h.base, 'GET', '/v1/missions', { headers: as('reader') }));
    for (const suffix of ['', '/work', `/work/${item}`, '/watches', '/events', '/notes']) {
      await denied('GET', `/v1/missions/${id}${suffix}`, 'reader');
      ok(await call(h.base, 'GET', `/v1/missions/${id}${suffix}`, { headers: as('reader') }));
    }
    await denied('PATCH', `/v1/missions/${id}/work/${item}`, 'writer', { status: 'running' });
    ok(
      await call(h.base, 'PATCH', `/v1/missions/${id}/work/${item}`, {
        headers: as('writer'),
        body: { status: 'running' },
      }),
    );
    await denied('POST', `/v1/missions/${id}/notes`, 'writer', { body: 'hi' });
    ok(
      await call(h.base, 'POST', `/v1/missions/${id}/notes`, { headers: as('writer'), body: { body: 'hi' } }),
      201,
    );

    await denied('POST', `/v1/missions/${id}/stop`, 'manager');
    ok(await call(h.base, 'POST', `/v1/missions/${id}/stop`, { headers: as('manager') }));
    await denied('POST', `/v1/missions/${id}/resume`, 'writer');
    ok(await call(h.base, 'POST', `/v1/missions/${id}/resume`, { headers: as('writer') }));
    await denied('POST', `/v1/missions/${id}/complete`, 'manager');
    await denied('POST', `/v1/missions/${id}/fail`, 'manager');
    ok(await call(h.base, 'POST', `/v1/missions/${id}/fail`, { headers: as('manager') }));
    await denied('DELETE', `/v1/missions/${id}`, 'manager');
    ok(await call(h.base, 'DELETE', `/v1/missions/${id}`, { headers: as('manager') }));
  });
});

describe('a townhall with no forge', () => {
  const h = useTownhall({ server: () => ({ forge: null, root: ROOT }) });

  it('runs missions of design docs, and refuses an issue objective without storing anything', async () => {
    const doc = await call(h.base, 'POST', '/v1/missions', {
      body: { objectives: [{ type: 'doc', path: 'docs/design.md' }] },
    });
    ok(doc, 201);
    const before = await dumpKeys(h.redis.client);
    const refused = await call(h.base, 'POST', '/v1/missions', { body: { objectives: [issue(1)] } });
    expectProblem(refused, 400, 'CONFIG_INVALID');
    expect(refused.json.detail).toContain('needs a forge, and none was given');
    expect(await dumpKeys(h.redis.client)).toEqual(before);
  });
});
