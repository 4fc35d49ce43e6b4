import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGitHubForge, Dispatcher } from '@tinytown/mission';
import { Town } from '@tinytown/store';
import { type FakeGitHub, startFakeGitHub, useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTown, type TestTown } from './helpers.js';

const redis = useTestRedis({ flushEachTest: false });
let github: FakeGitHub;
let t: TestTown;

beforeAll(async () => {
  github = await startFakeGitHub();
  github.setIssue('acme/app', { number: 1, title: 'Implement the data model' });
  github.setIssue('acme/app', { number: 2, title: 'Implement the API', body: 'Depends on #1.' });
  t = await createTown(redis.current.url, { GITHUB_API_URL: github.url, GITHUB_TOKEN: 'test-token' });
  await mkdir(join(t.dir, 'docs'), { recursive: true });
  await writeFile(join(t.dir, 'docs', 'design.md'), '# Sessions design\n\nHow sessions expire.\n');
});
afterAll(async () => {
  await t?.cleanup();
  await github?.close();
});

interface Started {
  mission: { id: string; state: string };
  work_items: { id: string; title: string; depends_on: string[] }[];
}

/**
 * The worker's part, played in the test: a backend agent takes the item's work task in one dispatcher
 * pass, `settle` ends that task as the agent would, and a second pass sees the outcome.
 */
async function playWorker(
  missionId: string,
  itemId: string,
  agent: string,
  settle: (taskId: string) => Promise<void>,
): Promise<void> {
  const town = await Town.connect({ url: redis.current.url, town: t.name });
  try {
    await town.agents.register({ name: agent, cli: 'fake', role: 'backend' });
    await town.agents.transition(agent, 'idle');
    const dispatcher = new Dispatcher({
      town,
      forge: createGitHubForge({ token: 'test-token', baseUrl: github.url }),
      mission: missionId,
      pollMs: 0,
      reap: false,
    });
    await dispatcher.pass();
    const [taskId = ''] = (await town.missions.workItem(missionId, itemId))?.task_ids ?? [];
    await settle(taskId);
    await dispatcher.pass();
  } finally {
    await town.close();
  }
}

describe('tt mission', () => {
  it('starts from issues and docs, lists, shows status, takes notes, stops and resumes', async () => {
    const started = await t.json<Started>(
      'mission',
      'start',
      '#1',
      'acme/app#2',
      'docs/design.md',
      'acme/app#1',
      './docs/design.md',
      '--repo',
      'acme/app',
      '--no-reviewer',
    );
    expect(started.mission.state).toBe('running');
    const byTitle = new Map(started.work_items.map((item) => [item.title, item]));
    expect([...byTitle.keys()].sort()).toEqual([
      'Implement the API',
      'Implement the data model',
      'Sessions design',
    ]);
    const model = byTitle.get('Implement the data model');
    const api = byTitle.get('Implement the API');
    expect(api?.depends_on).toEqual([model?.id]);

    const list = await t.json<{ missions: { id: string }[]; count: number }>('mission', 'list');
    expect(list.missions.map((m) => m.id)).toEqual([started.mission.id]);
    const status = await t.json<{
      mission: { id: string };
      work_items: unknown[];
      summary: { total_work_items: number };
    }>('mission', 'status', started.mission.id.slice(0, 8), '--work');
    expect(status.summary.total_work_items).toBe(3);
    expect(status.work_items).toHaveLength(3);

    const note = await t.json<{ note: { body: string } }>(
      'mission',
      'note',
      started.mission.id,
      'pause: freeze',
    );
    expect(note.note.body).toBe('pause: freeze');
    const { events } = await t.json<{ events: { mission_id?: string; message: string }[] }>(
      'events',
      '--mission',
      started.mission.id.slice(0, 8),
    );
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((event) => event.mission_id === started.mission.id)).toBe(true);
    expect(events[0]?.message).toContain('pause: freeze');
    // No worker runs in this town: the note waits, and the command says why nothing reads it yet.
    const unread = await t.tt('mission', 'note', started.mission.id, 'hello');
    expect(unread.stdout).toBe(`Noted for mission ${started.mission.id}; the next tick reads it.\n`);
    expect(unread.stderr).toContain('No worker is running for this town: nothing is scheduled');
    expect(await t.json('mission', 'stop', started.mission.id)).toMatchObject({ new_state: 'blocked' });
    const again = await t.tt('mission', 'stop', started.mission.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `Mission ${started.mission.id} was already stopped; 'tt mission resume ${started.mission.id.slice(0, 8)}' runs it again\n`,
    );
    expect(await t.json('mission', 'resume', started.mission.id)).toMatchObject({ new_state: 'running' });
    const running = await t.tt('mission', 'resume', started.mission.id.slice(0, 8));
    expect(running.code).toBe(0);
    expect(running.stdout).toBe(`Mission ${started.mission.id} was already running\n`);
    expect(running.stderr).toContain('No worker is running for this town: nothing is scheduled');
    expect(await t.json('mission', 'resume', started.mission.id)).toMatchObject({
      status: 'already running',
      previous_state: 'running',
      new_state: 'running',
    });
    const human = await t.tt('mission', 'status', started.mission.id);
    expect(human.code).toBe(0);
    // No worker has run in this town: the mission cannot move, and status says so (on stderr).
    const noWorker = `No worker is running for this town: nothing is scheduled until one runs ('tt up', or 'tinytown-worker --town ${t.dir}').\n`;
    expect(human.stderr).toBe(noWorker);
    const worker = await Town.connect({ url: redis.current.url, town: t.name });
    try {
      await worker.probes.workerHeartbeat('w1');
      expect((await t.tt('mission', 'status', started.mission.id)).stderr).toBe('');
      await worker.probes.workerHeartbeat('w1', Date.now() - 60_000);
      expect((await t.tt('mission', 'status', started.mission.id)).stderr).toContain(
        'The town’s worker has stopped answering: nothing is scheduled',
      );
      await worker.probes.workerGone('w1');
    } finally {
      await worker.close();
    }
    expect(human.stdout).toContain('objectives: acme/app#1, acme/app#2, docs/design.md\n');
    expect(human.stdout).toMatch(
      /^ {2}work: 0\/\d+ done, \d+ running, \d+ assigned, \d+ ready, \d+ pending, \d+ blocked; \d+ active watch(es)?$/m,
    );
    // A finished mission is not resumed, however it is asked.
    expect(await t.json('mission', 'stop', started.mission.id, '--force')).toMatchObject({
      new_state: 'failed',
    });
    const finished = await t.tt('mission', 'resume', started.mission.id);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toBe(
      `tt: error: Mission ${started.mission.id} is failed and cannot be resumed\n`,
    );
    // A note to it is only logged: nothing will act on it, and the command does not promise otherwise.
    const late = await t.tt('mission', 'note', started.mission.id, 'resume');
    expect(late.code).toBe(0);
    expect(late.stdout).toBe(
      `Noted in the log of mission ${started.mission.id}; it is failed, so nothing acts on the note.\n`,
    );
    expect(late.stderr).toBe('');
  });

  it('fails with one line and a non-zero exit on bad objectives, unknown missions and cycles', async () => {
    const bad = await t.tt('mission', 'start', 'fix the bug');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('fix the bug');

    const outside = await t.tt('mission', 'start', '../outside.md');
    expect(outside.code).not.toBe(0);

    github.setIssue('acme/loop', { number: 1, title: 'A', body: 'Depends on #2' });
    github.setIssue('acme/loop', { number: 2, title: 'B', body: 'Depends on #1' });
    const cycle = await t.tt('mission', 'start', 'acme/loop#1', 'acme/loop#2');
    expect(cycle.code).not.toBe(0);
    expect(cycle.stderr).toMatch(/cycle/i);

    const noRepo = await t.tt('mission', 'start', '#1');
    expect(noRepo.code).toBe(1);
    expect(noRepo.stderr).toMatch(/name the repository/);
    // A wrong option value is a wrong command line (exit 2), as for a task's options.
    const badRepo = await t.tt('mission', 'start', '#1', '--repo', 'acme');
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toBe(
      "tt: error: --repo: expected owner/repo, got 'acme' (see tt mission start --help)\n",
    );

    // A mission id that cannot be one is a usage error (exit 2), as a task id is; one that could be but
    // names no mission is not found (exit 1).
    for (const sub of [['status'], ['stop'], ['resume'], ['delete'], ['note', 'x'], ['item', 'ffff']]) {
      const malformed = await t.tt('mission', sub[0]!, 'not-a-mission', ...sub.slice(1));
      expect(malformed.code, `tt mission ${sub[0]}`).toBe(2);
      expect(malformed.stderr).toBe(
        `tt: error: mission_id must be a UUID or its first 4 or more characters, got 'not-a-mission' (see tt mission ${sub[0]} --help)\n`,
      );
    }
    for (const ref of ['00000000-0000-4000-8000-000000000000', 'abcd0123']) {
      const unknown = await t.tt('mission', 'status', ref);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(`tt: error: Mission not found: ${ref}\n`);
    }
    expect((await t.json<{ count: number }>('mission', 'list', '--all')).count).toBe(1);
  });

  it('status says why an item whose work task failed is blocked; tt mission item shows it, hands it out again or skips it', async () => {
    github.setIssue('acme/app', { number: 3, title: 'Implement sessions', labels: ['backend'] });
    const started = await t.json<Started>('mission', 'start', 'acme/app#3', '--no-reviewer');
    const missionId = started.mission.id;
    const itemId = started.work_items[0]?.id ?? '';
    await playWorker(missionId, itemId, 'backend-1', async (taskId) => {
      const failed = await t.tt('task', 'fail', taskId, '--reason', 'the sessions table is missing');
      expect(failed.code).toBe(0);
    });
    const [taskId = ''] =
      (await t.json<{ work_items: { task_ids: string[] }[] }>('mission', 'status', missionId, '--work'))
        .work_items[0]?.task_ids ?? [];
    const status = await t.tt('mission', 'status', missionId.slice(0, 8));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `Mission ${missionId}: running (Waiting on an operator: the work task of 'Implement sessions' failed)\n`,
    );
    expect(status.stdout).toContain(
      `\n  ${itemId.slice(0, 8)} 'Implement sessions' is blocked: its work task ${taskId.slice(0, 8)} failed: the sessions table is missing\n` +
        `    the conductor has been asked for help; retry it: tt mission item ${missionId.slice(0, 8)} ${itemId.slice(0, 8)} --status ready (or note "redirect ${itemId.slice(0, 8)} to <agent>"); skip it: --status done\n`,
    );

    // The item by its short id, as status prints it; then handed out again, then skipped.
    const m8 = missionId.slice(0, 8);
    const i8 = itemId.slice(0, 8);
    const shown = await t.tt('mission', 'item', m8, i8);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Work item ${itemId}: blocked\n  implement 'Implement sessions'`);
    expect(shown.stdout).toContain(`  tasks: ${taskId.slice(0, 8)}\n`);
    // Who had it, by name, as task listings say it (not the agent's id).
    expect(shown.stdout).toContain('  assigned to: backend-1\n');
    expect((await t.tt('mission', 'status', m8, '--work')).stdout).toContain(
      `  ${i8} blocked  implement  Implement sessions [backend-1]\n`,
    );
    const badStatus = await t.tt('mission', 'item', m8, i8, '--status', 'sleeping');
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toBe(
      "tt: error: status: expected one of pending, ready, running, blocked, done, got 'sleeping' (see tt mission item --help)\n",
    );
    const unknownItem = await t.tt('mission', 'item', m8, 'ffff');
    expect(unknownItem.code).toBe(1);
    expect(unknownItem.stderr).toBe('tt: error: Work item not found: ffff\n');
    expect(await t.json('mission', 'item', m8, i8)).toMatchObject({ item: { status: 'blocked' } });
    const retried = await t.json<{ item: { status: string; assigned_to: string | null } }>(
      'mission',
      'item',
      m8,
      i8,
      '--status',
      'ready',
    );
    expect(retried.item).toMatchObject({ status: 'ready', assigned_to: null });
    expect((await t.tt('mission', 'status', m8)).stdout).not.toContain('is blocked');
    const skipped = await t.tt(
      'mission',
      'item',
      m8,
      i8,
      '--status',
      'done',
      '--artifact',
      'notes/skipped.md',
    );
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain(`Work item ${itemId}: done\n`);
    expect(skipped.stdout).toContain('  artifacts: notes/skipped.md');
    expect(skipped.stdout).toContain('  submission: completed\n');
    expect((await t.json('mission', 'stop', missionId, '--force')) as object).toMatchObject({
      new_state: 'failed',
    });
  });

  it('status --watches shows when each watch looks next and, while its checks fail, the last error', async () => {
    github.setIssue('acme/app', { number: 4, title: 'Implement exports', labels: ['backend'] });
    const started = await t.json<Started>('mission', 'start', 'acme/app#4', '--no-reviewer');
    const missionId = started.mission.id;
    const itemId = started.work_items[0]?.id ?? '';
    await playWorker(missionId, itemId, 'backend-4', async (taskId) => {
      // A pull request the forge does not know: every check of its watches fails.
      const done = await t.tt('task', 'complete', taskId, '--result', 'Opened acme/app#404');
      expect(done.code).toBe(0);
    });
    const status = await t.tt('mission', 'status', missionId.slice(0, 8), '--watches');
    expect(status.code).toBe(0);
    const lines = status.stdout.split('\n').filter((line) => line.startsWith('  watch '));
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).toMatch(
        /^ {2}watch [0-9a-f]{8} \w+ acme\/app#404 active, next check \d{4}-\d\d-\d\dT[\d:.]+Z; 1 failed check in a row, last: .*acme\/app#404.*404/,
      );
    }
    expect((await t.json('mission', 'stop', missionId, '--force')) as object).toMatchObject({
      new_state: 'failed',
    });
  });

  it('deletes a finished mission; a running one only with --force', async () => {
    const started = await t.json<Started>('mission', 'start', 'docs/design.md');
    const id = started.mission.id;
    const running = await t.tt('mission', 'delete', id.slice(0, 8));
    expect(running.code).toBe(1);
    // The refusal names the exact command and flag, and what each way out does.
    expect(running.stderr).toBe(
      `tt: error: Mission ${id} is running; only a completed or failed mission is deleted. 'tt mission delete ${id.slice(0, 8)} --force' fails it first (its open tasks are cancelled), then deletes it with its work items, watches, notes and events; its finished tasks stay\n`,
    );
    expect(await t.json('mission', 'status', id)).toMatchObject({ mission: { state: 'running' } });
    expect((await t.json('mission', 'stop', id, '--force')) as object).toMatchObject({ new_state: 'failed' });
    const deleted = await t.tt('mission', 'delete', id.slice(0, 8));
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted mission ${id}\n`);
    expect((await t.tt('mission', 'status', id)).stderr).toBe(`tt: error: Mission not found: ${id}\n`);

    const forced = (await t.json<Started>('mission', 'start', 'docs/design.md')).mission.id;
    expect(await t.json('mission', 'delete', forced, '--force')).toEqual({
      mission_id: forced,
      deleted: true,
    });
    const list = await t.json<{ missions: { id: string }[] }>('mission', 'list', '--all');
    expect(list.missions.map((m) => m.id)).not.toContain(forced);
  });

  it('takes the repository of #N from the town’s git origin', async () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: t.dir, stdio: 'ignore' });
    git('init', '-q');
    git('remote', 'add', 'origin', 'git@github.com:acme/app.git');
    try {
      const started = await t.json<Started>('mission', 'start', '#1', '--no-reviewer');
      expect(started.work_items.map((item) => item.title)).toEqual(['Implement the data model']);
      expect((await t.json('mission', 'stop', started.mission.id, '--force')) as object).toMatchObject({
        new_state: 'failed',
      });
    } finally {
      await rm(join(t.dir, '.git'), { recursive: true, force: true });
    }
  });
});

describe('tt mission --help', () => {
  it('describes the mission id the same way in every subcommand, with examples that can be typed as shown', async () => {
    const subcommands = ['start', 'list', 'status', 'stop', 'resume', 'delete', 'item', 'note'];
    const helps = await Promise.all(
      subcommands.map(async (sub) => (await t.tt('mission', sub, '--help')).stdout),
    );
    helps.push((await t.tt('mission', '--help')).stdout);
    for (const help of helps) {
      expect(help.slice(help.indexOf('Examples:'))).not.toMatch(/…|<mission-id>/);
      const flat = help.replace(/\s+/g, ' ');
      if (flat.includes(' mission-id ')) {
        expect(flat).toContain(
          ' mission-id mission id, or its first 4 or more characters as tt mission list shows them ',
        );
      }
    }
    expect(helps.filter((help) => /^ {2}mission-id /m.test(help))).toHaveLength(6);
  });
});
