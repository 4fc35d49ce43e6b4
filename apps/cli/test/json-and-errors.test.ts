import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent, Message, Task, TownEvent } from '@tinytown/core';
import { freePort, runWithClosedStdout, useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, createTown, ECHO_AGENT, runTt, type TestTown, TT } from './helpers.js';

const redis = useTestRedis({ flushEachTest: false });
let t: TestTown;

beforeAll(async () => {
  t = await createTown(redis.current.url, { ECHO_AGENT_DELAY_MS: '10' });
  await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
});
afterAll(async () => {
  await t?.cleanup();
});

const isAgent = (value: unknown) =>
  expect(value).toMatchObject({
    id: expect.any(String),
    name: expect.any(String),
    state: expect.any(String),
    tasks_completed: expect.any(Number),
    rounds_completed: expect.any(Number),
  });
const isTask = (value: unknown) =>
  expect(value).toMatchObject({
    id: expect.any(String),
    description: expect.any(String),
    state: expect.any(String),
    tags: expect.any(Array),
  });

describe('--json output of every data command', () => {
  it('has the documented shapes', async () => {
    const spawned = await t.json<{ agent: Agent; pid: number; log: string }>(
      'spawn',
      'alice',
      '--cli',
      'echo',
      '--role',
      'backend',
    );
    isAgent(spawned.agent);
    // With a role, the label (`Nickname [backend]`) would hide the name every command takes: it is shown.
    expect((await t.tt('list')).stdout).toMatch(
      new RegExp(
        `^${spawned.agent.nickname} \\[backend\\] \\(alice, ${spawned.agent.id.slice(0, 4)}\\) `,
        'm',
      ),
    );
    expect(spawned).toMatchObject({ pid: expect.any(Number), log: expect.any(String) });
    // Paused, the agent's loop keeps running but takes nothing from its inbox.
    const paused = await t.json<{ agent: Agent; previous_state: string }>('interrupt', 'alice');
    expect(paused).toMatchObject({ agent: { state: 'paused' }, previous_state: expect.any(String) });

    const assigned = await t.json<{ task: Task; agent: { id: string; name: string } }>(
      'assign',
      'alice',
      'Build the API',
      '--tags',
      'api, v2',
    );
    isTask(assigned.task);
    expect(assigned.task.tags).toEqual(['api', 'v2']);
    expect(assigned.agent.name).toBe('alice');

    const sent = await t.json<{ message: Message; to: { name: string }; from: { name: string } }>(
      'send',
      'alice',
      'Which DB?',
      '--query',
      '--urgent',
    );
    expect(sent).toMatchObject({
      message: { type: 'query', question: 'Which DB?', urgent: true },
      to: { name: 'alice' },
      from: { name: 'conductor' },
    });
    await t.json('send', 'conductor', 'hello', '--info', '--from', 'alice');

    const inbox = await t.json<{
      total: number;
      urgent: number;
      inflight: number;
      messages: Message[];
      counts: Record<string, number>;
    }>('inbox', 'alice');
    expect(inbox).toMatchObject({
      total: 2,
      urgent: 1,
      inflight: 0,
      counts: { task: 1, query: 1, info: 0, ack: 0 },
    });
    expect(inbox.messages.map((m) => m.type)).toEqual(['query', 'task_assign']);
    // For people, a task_assign names its task by id start and description, as the agent's prompt will.
    const text = await t.tt('inbox', 'alice');
    expect(text.stdout.split('\n').slice(1, 3)).toEqual([
      '  🚨 [Q] query: Which DB?',
      `  [T] task_assign ${assigned.task.id.slice(0, 8)}: Build the API`,
    ]);
    const all = await t.json<{ inboxes: { agent: { name: string } }[]; total_actionable: number }>(
      'inbox',
      '--all',
    );
    expect(all.inboxes.map((view) => view.agent.name).sort()).toEqual(['alice', 'conductor']);
    expect(all.total_actionable).toBe(2);

    isTask((await t.json<{ task: Task }>('task', 'show', assigned.task.id)).task);
    // Listings print the first 8 characters of an id; those are enough to name the task.
    const short = await t.json<{ task: Task }>('task', 'show', assigned.task.id.slice(0, 8));
    expect(short.task.id).toBe(assigned.task.id);
    expect((await t.json<{ tasks: Task[] }>('task', 'list', '--state', 'assigned')).tasks).toHaveLength(1);
    const current = await t.json<{ agent: Agent; task: Task | null }>('task', 'current', 'alice');
    expect(current.task?.id).toBe(assigned.task.id);

    const first = await t.json<{ task: Task }>('backlog', 'add', 'Write docs', '--tags', 'docs');
    const second = await t.json<{ task: Task }>('backlog', 'add', 'Something else');
    expect((await t.json<{ tasks: Task[] }>('backlog', 'list')).tasks.map((task) => task.id)).toEqual([
      first.task.id,
      second.task.id,
    ]);
    const claimed = await t.json<{ task: Task; agent: { name: string } }>(
      'backlog',
      'claim',
      first.task.id,
      'alice',
    );
    expect(claimed).toMatchObject({ task: { state: 'assigned' }, agent: { name: 'alice' } });
    expect(await t.json('backlog', 'remove', second.task.id)).toEqual({ removed: second.task.id });
    expect(await t.json('backlog', 'assign-all', 'alice')).toMatchObject({ tasks: [] });

    const completed = await t.json<{ task: Task }>(
      'task',
      'complete',
      first.task.id,
      '--result',
      'docs written',
    );
    expect(completed.task).toMatchObject({ state: 'completed', result: 'docs written' });
    const failed = await t.json<{ task: Task }>('task', 'fail', assigned.task.id, '--reason', 'blocked');
    expect(failed.task).toMatchObject({ state: 'failed', result: 'blocked' });

    const list = await t.json<{ agents: (Agent & { inbox_len: number })[] }>('list');
    list.agents.forEach(isAgent);
    expect(list.agents[0]).toHaveProperty('inbox_len');
    const status = await t.json<Record<string, unknown>>('status', '--deep', '--tasks');
    expect(status).toMatchObject({
      town: { name: t.name, root: expect.any(String), redis: expect.any(String) },
      agents: [
        expect.objectContaining({
          name: 'alice',
          pending: expect.any(Object),
          running_tasks: [],
          activity: expect.any(Array),
        }),
      ],
      tasks: { total: 2, completed: 1, failed: 1, pending: 0, in_flight: 0, backlog: 0 },
      task_list: expect.any(Array),
    });

    const history = await t.json<{ events: TownEvent[] }>('history', '-n', '50');
    expect(history.events.length).toBeGreaterThan(3);
    const stamps = history.events.map((event) => event.id);
    expect([...stamps].sort((a, b) => (a < b ? -1 : 1))).toEqual(stamps);
    expect(
      (await t.json<{ messages: Message[] }>('history', '--messages')).messages.length,
    ).toBeGreaterThanOrEqual(2);
    const events = await t.json<{ events: TownEvent[] }>('events', '-c', '5');
    expect(events.events).toHaveLength(5);
    expect(events.events[0]!.id >= events.events[4]!.id).toBe(true);

    expect(await t.json('recover')).toMatchObject({
      checked: expect.any(Number),
      recovered: [],
      messages_returned: 0,
      tasks_requeued: 0,
    });
    expect(await t.json('reclaim')).toMatchObject({
      destination: { kind: 'listed' },
      work: expect.any(Array),
    });
    expect(await t.json('reclaim', '--orphan-tasks')).toMatchObject({
      action: 'list',
      orphans: expect.any(Array),
    });

    expect(await t.json('config')).toMatchObject({ config: { name: t.name, agent: { max_rounds: 10 } } });
    expect(await t.json('config', 'agent.max_rounds')).toEqual({ key: 'agent.max_rounds', value: 10 });
    expect(await t.json('towns')).toMatchObject({
      towns: [{ name: t.name, status: 'online', agents: 1, active: 1 }],
    });
    const conductor = await t.json<{ command: string[]; briefing: string; context_file: string }>(
      'conductor',
      '--print',
    );
    expect(conductor.command).toEqual(['claude', '<briefing>']);
    expect(conductor.briefing).toContain('alice');
    expect(existsSync(conductor.context_file)).toBe(true);

    const killed = await t.json<{ agent: Agent; previous_state: string; signalled: boolean }>(
      'kill',
      'alice',
    );
    expect(killed).toMatchObject({ agent: { state: 'stopped' }, previous_state: 'paused', signalled: true });
    expect(await t.json('wait', 'alice', '--timeout', '10')).toMatchObject({
      timed_out: false,
      agent: { state: 'stopped' },
    });
    // A stopped agent whose CLI is no longer installed stays stopped.
    const echo = await t.json<{ value: unknown }>('config', 'agent_clis.echo');
    await t.json('config', 'agent_clis.echo', JSON.stringify({ command: 'tinytown-no-such-ai' }));
    const refused = await t.tt('restart', 'alice');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/The 'echo' CLI is not installed here/);
    const roster = await t.json<{ agents: Agent[] }>('list');
    expect(roster.agents.find((agent) => agent.name === 'alice')?.state).toBe('stopped');
    await t.json('config', 'agent_clis.echo', JSON.stringify(echo.value));
    const restarted = await t.json<{ agent: Agent; pid: number }>('restart', 'alice', '--max-rounds', '1');
    expect(restarted.agent.state).toBe('starting');
    expect(await t.json('wait', 'alice', '--timeout', '30')).toMatchObject({ timed_out: false });
    expect(await t.json('prune')).toEqual({ removed: ['alice'] });
    expect(await t.json('reset')).toMatchObject({ dry_run: true, agents: 0, tasks: 2 });
  });

  it('plan and sync are idempotent, and pull writes Redis state back', async () => {
    expect((await t.json<{ tasks: unknown[] }>('plan', '--init')).tasks).toHaveLength(1);
    const first = await t.json<{ created: number; written: boolean }>('sync', 'push');
    expect(first).toMatchObject({ direction: 'push', created: 1, written: true });
    const second = await t.json<{ created: number; written: boolean }>('sync', 'push');
    expect(second).toMatchObject({ created: 0, unchanged: 1, written: false });
    const plan = readFileSync(join(t.dir, 'tasks.toml'), 'utf8');
    const taskId = /task_id = "([0-9a-f-]{36})"/.exec(plan)?.[1];
    expect(taskId).toBeDefined();
    await t.json('backlog', 'claim', taskId!, 'conductor').catch(() => undefined);
    await t.json('backlog', 'add', 'Pulled from Redis');
    const pulled = await t.json<{ added: number }>('sync', 'pull');
    expect(pulled.added).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(t.dir, 'tasks.toml'), 'utf8')).toContain('Pulled from Redis');
    expect(await t.json('sync', 'pull')).toMatchObject({ added: 0, written: false });
    expect(await t.json('sync', 'push')).toMatchObject({ created: 0 });
  });

  it('save and restore round-trip the town', async () => {
    await t.json('reset', '--force');
    await t.json('spawn', 'bob', '--cli', 'echo');
    await t.json('kill', 'bob');
    await t.json('wait', 'bob', '--timeout', '10');
    await t.json('assign', 'bob', 'Survive a restore');
    const before = await t.json<{ tasks: Record<string, number> }>('status');
    const saved = await t.json<{
      file: string;
      agents: number;
      tasks: number;
      messages: number;
      missions: number;
      events: number;
    }>('save', 'snap.json');
    expect(saved).toMatchObject({ agents: 1, messages: 1, missions: 0 });
    expect(saved.events).toBeGreaterThan(0);
    const refused = await t.tt('restore', 'snap.json');
    expect(refused.code).toBe(1);
    expect(await t.json('reset', '--force')).toMatchObject({ dry_run: false, deleted: expect.any(Number) });
    expect((await t.json<{ agents: Agent[] }>('list')).agents).toHaveLength(0);
    expect(await t.json('restore', 'snap.json')).toMatchObject({
      agents: 1,
      tasks: saved.tasks,
      messages: 1,
      events: saved.events,
    });
    const after = await t.json<{ tasks: Record<string, number> }>('status');
    expect(after.tasks).toEqual(before.tasks);
    expect((await t.json<{ total: number }>('inbox', 'bob')).total).toBe(1);
  });
});

describe('every failure exits non-zero with one line on stderr', () => {
  const expectFailure = async (args: string[], code: number, text?: RegExp, env = t.env, cwd = t.dir) => {
    const run = await runTt(args, { cwd, env });
    expect(run.code, `tt ${args.join(' ')}: ${run.stderr}`).toBe(code);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    if (text) expect(lines[0]).toMatch(text);
    return run;
  };

  it('for wrong input, unknown things and illegal transitions', async () => {
    await t.json('spawn', 'carol', '--cli', 'echo');
    const tasksBefore = (await t.json<{ tasks: Task[] }>('task', 'list')).tasks.length;
    await expectFailure(['assign', 'nobody', 'x'], 1, /Agent not found: nobody$/);
    // A near miss names the agent it was probably meant for, in the line and in --verbose --json's details.
    await expectFailure(
      ['assign', 'carl', 'x'],
      1,
      /^tt: error: Agent not found: carl \(did you mean "carol"\?\)$/,
    );
    await expectFailure(['send', 'CAROLE', 'hi'], 1, /Agent not found: CAROLE \(did you mean "carol"\?\)$/);
    const typo = await runTt(['assign', 'carl', 'x', '--json', '--verbose'], { cwd: t.dir, env: t.env });
    expect(JSON.parse(typo.stderr)).toMatchObject({
      error: { code: 'AGENT_NOT_FOUND', details: { ref: 'carl', suggestions: ['carol'] } },
    });
    expect((await t.json<{ tasks: Task[] }>('task', 'list')).tasks).toHaveLength(tasksBefore);
    // An id that cannot be one is a wrong command line; one that could be but names nothing is not found.
    await expectFailure(
      ['task', 'show', 'not-a-uuid'],
      2,
      /must be a UUID or its first 4 or more characters, got 'not-a-uuid' \(see tt task show --help\)$/,
    );
    await expectFailure(['task', 'fail', 'zz'], 2, /\(see tt task fail --help\)$/);
    await expectFailure(['task', 'show', '00000000-0000-4000-8000-000000000000'], 1, /Task not found/);
    await expectFailure(['task', 'list', '--state', 'sleeping'], 2, /state: expected one of/);
    await expectFailure(['spawn', 'carol', '--cli', 'echo'], 1, /already exists/);
    await expectFailure(['spawn', 'conductor'], 1, /reserved/);
    await expectFailure(['spawn', 'dave', '--cli', 'no-such-ai'], 1, /Unknown agent CLI/);
    // A CLI that is configured but not installed is refused before the agent exists.
    await t.json('config', 'agent_clis.uninstalled', JSON.stringify({ command: 'tinytown-no-such-ai --go' }));
    await expectFailure(
      ['spawn', 'dave', '--cli', 'uninstalled'],
      1,
      /The 'uninstalled' CLI is not installed here: no executable 'tinytown-no-such-ai' on PATH/,
    );
    expect((await t.json<{ agents: Agent[] }>('list')).agents.map((agent) => agent.name)).not.toContain(
      'dave',
    );
    await expectFailure(
      ['conductor', '--cli', 'uninstalled'],
      1,
      /^tt: error: The 'uninstalled' CLI is not installed here/,
    );
    await expectFailure(['init', '--name', 'elsewhere'], 1, /already exists with name '.*'; use --force/);
    await expectFailure(
      ['init', '--cli', 'codex'],
      1,
      /already exists with default_cli 'claude'; use --force/,
    );
    await expectFailure(['send', 'carol', 'hi', '--query', '--info'], 2);
    await expectFailure(['assign', 'carol'], 2, /missing required argument .* \(see tt assign --help\)$/);
    await expectFailure(['task', 'complete'], 2, /\(see tt task complete --help\)$/);
    await expectFailure(['frobnicate'], 2, /unknown command 'frobnicate' \(see tt --help\)$/);
    // A typo keeps commander's guess at what was meant, on the one line.
    await expectFailure(
      ['statsu'],
      2,
      /^tt: error: unknown command 'statsu'; did you mean status\? \(see tt --help\)$/,
    );
    await expectFailure(
      ['status', '--deeep'],
      2,
      /^tt: error: unknown option '--deeep'; did you mean --deep\? \(see tt status --help\)$/,
    );
    await expectFailure(
      ['task', 'shwo'],
      2,
      /^tt: error: unknown command 'shwo'; did you mean show\? \(see tt task --help\)$/,
    );
    // Resuming an agent that is not paused has nothing to do: it says so and succeeds.
    const resumed = await t.tt('resume', 'carol');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/\[carol\] \(\w{4}\) was already (starting|idle|working)$/m);
    await expectFailure(
      ['restart', 'carol'],
      1,
      /^tt: error: Agent carol is (starting|idle|working), not stopped: only a stopped agent can be restarted \('tt kill carol' stops it\)$/,
    );
    await expectFailure(['wait', 'carol', '--timeout', '0.2'], 1, /still/);
    await expectFailure(['backlog', 'claim', '00000000-0000-4000-8000-000000000000', 'carol'], 1);
    await expectFailure(['sync', 'sideways'], 2);
    await expectFailure(['restore', 'missing.json'], 1, /Cannot read/);
    await expectFailure(['config', 'agent.max_rounds', '-3'], 1, /Cannot set/);
    await expectFailure(['config', 'no.such.key'], 1, /Unknown config key 'no.such.key'/);
    await expectFailure(
      ['config', 'redis.url'],
      1,
      /^tt: error: 'redis.url' is not set in .*tinytown\.toml$/,
    );
    await expectFailure(['inbox'], 2);
    await expectFailure(['task', 'current'], 2, /name an agent/);
    await expectFailure(['backlog', 'claim', '00000000-0000-4000-8000-000000000000'], 2, /name an agent/);
    // Under --json a wrong command line is the same JSON error object as any other failure.
    for (const args of [
      ['status', '--deeep', '--json'],
      ['--json', 'statsu'],
      ['assign', '--json'],
    ]) {
      const usage = await expectFailure(args, 2);
      expect(JSON.parse(usage.stderr)).toEqual({
        error: {
          code: 'INVALID_INPUT',
          message: expect.stringMatching(/\(see tt (status |assign )?--help\)$/),
        },
      });
    }
    const json = await expectFailure(['assign', 'nobody', 'x', '--json'], 1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'AGENT_NOT_FOUND', message: expect.any(String) },
    });
    await expectFailure(['config', 'default_cli', 'no-such-ai'], 1, /Unknown agent CLI 'no-such-ai'/);
    expect(await t.json('config', 'default_cli')).toEqual({ key: 'default_cli', value: 'claude' });
  });

  it('exits 2 for an option whose value is wrong, as for an unknown option', async () => {
    await expectFailure(['events', '-c', 'many'], 2, /count: expected a positive whole number, got 'many'/);
    await expectFailure(['events', '--count', '0'], 2, /count: expected a positive whole number/);
    await expectFailure(
      ['wait', 'conductor', '--timeout', 'soon'],
      2,
      /timeout: expected a number of seconds/,
    );
    await expectFailure(['spawn', 'erin', '--cli', 'echo', '--max-rounds', '1.5'], 2, /max-rounds/);
    await expectFailure(['mission', 'start', 'docs/x.md', '--max-parallel', 'x'], 2, /max-parallel/);
    expect((await t.json<{ agents: Agent[] }>('list')).agents.map((agent) => agent.name)).not.toContain(
      'erin',
    );
  });

  it('with --verbose, also shows the code, the details and the causes', async () => {
    const verbose = await runTt(['assign', 'nobody', 'x', '--verbose'], { cwd: t.dir, env: t.env });
    expect(verbose.code).toBe(1);
    expect(verbose.stderr.trim().split('\n')).toEqual([
      'tt: error: Agent not found: nobody',
      '  code: AGENT_NOT_FOUND',
      expect.stringMatching(/^ {2}details: \{.*"nobody".*\}$/),
    ]);
    const json = await runTt(['-v', 'assign', 'nobody', 'x', '--json'], { cwd: t.dir, env: t.env });
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'AGENT_NOT_FOUND',
        message: 'Agent not found: nobody',
        details: expect.objectContaining({ ref: 'nobody' }),
      },
    });
    // A town whose Redis is not running: the one line says what to do, --verbose shows why.
    const offline = await runTt(['status', '-v'], {
      cwd: t.dir,
      env: { ...t.env, REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(offline.code).toBe(1);
    const [first, ...more] = offline.stderr.trim().split('\n');
    expect(first).toMatch(/^tt: error: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(more).toContain('  code: REDIS_UNAVAILABLE');
    expect(more.some((line) => line.startsWith('  caused by: '))).toBe(true);
    // carol's loop is live: paused, it cannot take the tasks below into a round and finish them first.
    await t.json('interrupt', 'carol');
    // Twice in a row: the second has nothing to do, and says so instead of failing.
    expect(await t.json('interrupt', 'carol')).toMatchObject({
      agent: { state: 'paused' },
      previous_state: 'paused',
    });
    expect((await t.tt('interrupt', 'carol')).stdout).toMatch(/ was already paused$/m);
    const { task } = await t.json<{ task: Task }>('backlog', 'add', 'finish twice');
    // A backlog task is claimed or removed, not completed or failed; the refusal says which commands do that.
    for (const finish of [['complete'], ['fail', '--reason', 'nobody took it']]) {
      await expectFailure(
        ['task', ...finish.slice(0, 1), task.id.slice(0, 8), ...finish.slice(1)],
        1,
        new RegExp(
          `^tt: error: Task ${task.id} is in the backlog: claim it first \\('tt backlog claim ${task.id.slice(0, 8)} <agent>'\\), or take it off \\('tt backlog remove ${task.id.slice(0, 8)}'\\)$`,
        ),
      );
    }
    expect((await t.json<{ task: Task }>('task', 'show', task.id)).task).toMatchObject({
      state: 'pending',
      result: null,
    });
    expect((await t.json<{ tasks: Task[] }>('backlog', 'list')).tasks.map((queued) => queued.id)).toContain(
      task.id,
    );
    await t.json('backlog', 'claim', task.id.slice(0, 8), 'carol');
    await t.json('task', 'complete', task.id.slice(0, 6));
    await expectFailure(['task', 'complete', task.id], 1, /cannot become completed/);
    // Inside a round, tt acts as the round's agent: once carol is stopped (killed, or recovered when its
    // lease lapsed) its late completion is refused, and a person can still finish the task by hand.
    const { task: late } = await t.json<{ task: Task }>('backlog', 'add', 'late by carol');
    await t.json('backlog', 'claim', late.id.slice(0, 8), 'carol');
    const carol = (await t.json<{ agents: Agent[] }>('list')).agents.find((agent) => agent.name === 'carol');
    await t.json('kill', 'carol');
    for (const command of ['interrupt', 'resume'])
      await expectFailure(
        [command, 'carol'],
        1,
        /^tt: error: Agent carol is stopped: 'tt restart carol' starts it again$/,
      );
    expect(await t.json('close', 'carol')).toMatchObject({ previous_state: 'stopped' });
    const asCarol = { ...t.env, TINYTOWN_AGENT_ID: carol?.id, TINYTOWN_AGENT_NAME: 'carol' };
    await expectFailure(['task', 'complete', late.id], 1, /^tt: error: Agent carol is stopped/, asCarol);
    await expectFailure(['task', 'fail', late.id], 1, /^tt: error: Agent carol is stopped/, asCarol);
    expect((await t.json<{ task: Task }>('task', 'show', late.id)).task.state).toBe('assigned');
    expect((await t.json<{ task: Task }>('task', 'complete', late.id)).task.state).toBe('completed');
  });

  it('except when its reader stops reading early (tt … | head): that ends it quietly', async () => {
    // The reader is gone before tt writes anything, so its first write meets a closed pipe.
    const { code, stderr } = await runWithClosedStdout(TT, ['events', '--help']);
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('outside a town, and when Redis cannot be reached', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'tt-empty-'));
    try {
      await expectFailure(['status'], 1, /tinytown.toml not found/, t.env, empty);
      const port = await freePort();
      await expectFailure(['status'], 1, /Redis/, { ...t.env, REDIS_URL: `redis://127.0.0.1:${port}` });
      const noRedis = { ...t.env };
      delete noRedis.REDIS_URL;
      await expectFailure(['list'], 1, /Redis is not running.*tt up/, noRedis);
      // tt stop still stops this machine's loops, and says it could not reach the town's record.
      const offline = await createTown(undefined);
      const stop = await runTt(['stop'], { cwd: offline.dir, env: offline.env }).finally(() =>
        offline.cleanup(),
      );
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stderr).toMatch(
        /^The town's Redis is not running: only this machine's agent processes were stopped/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('work for an agent that is not running', () => {
  it('says how the agent gets to see it, and says nothing extra for a running one or under --json', async () => {
    await t.json('spawn', 'dora', '--cli', 'echo');
    const running = await t.tt('send', 'dora', '--info', 'hello');
    expect(running.stdout.trim()).toBe('Sent info message to dora');

    await t.json('interrupt', 'dora');
    const paused = await t.tt('assign', 'dora', 'While paused');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain("dora is paused: it sees this after 'tt resume dora'");

    await t.json('kill', 'dora');
    const stopped = await t.tt('send', 'dora', '--query', 'Still there?');
    expect(stopped.stdout).toContain("dora is stopped: it sees this after 'tt restart dora'");
    expect(await t.json('assign', 'dora', 'As JSON')).not.toHaveProperty('hint');
    expect((await t.tt('assign', 'conductor', 'For a human')).stdout).not.toContain('sees this');
  });
});
