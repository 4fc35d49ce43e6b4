import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentCliConfig } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { dumpKeys, useTestRedis } from '@tinytown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentLoopSettings } from '../src/loop-settings.js';
import { isProcessAlive } from '../src/process-group.js';
import { roundLogDir } from '../src/round-logs.js';
import { type AgentLoopOptions, runAgentLoop } from '../src/runtime.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'store-agent.mjs');
const redis = useTestRedis();

let dir: string;
let town: Town;
const towns: Town[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-loop-'));
  town = await Town.connect({ url: redis.current.url, town: 'looptown', settings: { leaseMs: 900 } });
  towns.push(town);
});
afterEach(async () => {
  for (const t of towns.splice(0)) await t.close();
  await rm(dir, { recursive: true, force: true });
});

function clis(env: Record<string, string> = {}): Record<string, AgentCliConfig> {
  return { fake: { command: `${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)}`, env } };
}

const SETTINGS: AgentLoopSettings = {
  maxRounds: 1,
  idleTimeoutMs: 0,
  roundTimeoutMs: 20_000,
  autoClaim: false,
};

function loop(agentId: string, overrides: Partial<AgentLoopOptions> & { env?: Record<string, string> } = {}) {
  const { env, settings, ...rest } = overrides;
  return runAgentLoop({
    town,
    agentId,
    townRoot: dir,
    settings: { ...SETTINGS, ...settings },
    agentClis: clis(env),
    redisUrl: redis.current.url,
    pollMs: 50,
    killGraceMs: 300,
    ...rest,
  });
}

async function until<T>(probe: () => Promise<T | undefined | false>, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition never became true');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the agent round loop', () => {
  it('runs an assigned task through the CLI, acknowledges the round and counts it', async () => {
    const agent = await town.agents.register({ name: 'worker-1', cli: 'fake' });
    const description = 'Line one of the job\nline two, which the original cut off\n$(touch pwned)';
    const { task } = await town.tasks.assign('worker-1', description);
    const promptFile = join(dir, 'prompts.txt');

    const result = await loop(agent.id, { env: { FAKE_PROMPT_FILE: promptFile } });

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 1, failedRounds: 0, finalState: 'stopped' });
    const done = await town.tasks.get(task.id);
    expect(done.state).toBe('completed');
    expect(done.result).toBe('done by worker-1');
    const after = await town.agents.get(agent.id);
    expect(after).toMatchObject({ state: 'stopped', rounds_completed: 1, tasks_completed: 1 });
    const inbox = await town.messages.peek(agent.id);
    expect(inbox).toMatchObject({ total: 0, inflight: 0 });
    const prompt = await readFile(promptFile, 'utf8');
    expect(prompt).toContain('line two, which the original cut off');
    expect(prompt).toContain('from conductor');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    const logs = await readdir(roundLogDir(dir, agent.id));
    expect(logs.filter((name) => name.endsWith('.log'))).toHaveLength(1);
  });

  it('shows senders by name and the role-matched backlog in the prompt', async () => {
    const alice = await town.agents.register({ name: 'alice', cli: 'fake', role: 'reviewer' });
    const agent = await town.agents.register({ name: 'api-dev', cli: 'fake' });
    await town.backlog.add('Add the orders endpoint', { tags: ['backend'] });
    await town.backlog.add('Polish the CSS of the login page', { tags: ['frontend'] });
    await town.messages.send({
      to: 'api-dev',
      text: 'Can you check the schema?',
      kind: 'query',
      from: 'alice',
    });
    const promptFile = join(dir, 'prompts.txt');

    await loop(agent.id, { env: { FAKE_PROMPT_FILE: promptFile } });

    const prompt = await readFile(promptFile, 'utf8');
    expect(prompt).toContain(`from ${alice.nickname} [reviewer]`);
    expect(prompt).toContain('Add the orders endpoint');
    expect(prompt).not.toContain('Polish the CSS');
  });

  it('puts all the messages of a failed round back, urgent ones in the urgent queue, and the task back to assigned', async () => {
    const agent = await town.agents.register({ name: 'flaky', cli: 'fake' });
    const { task } = await town.tasks.assign('flaky', 'Do the thing');
    await town.messages.send({ to: 'flaky', text: 'Are you there?', kind: 'query', urgent: true });
    await town.messages.send({ to: 'flaky', text: 'fyi: the build is green', kind: 'info' });

    const lines: string[] = [];
    const result = await loop(agent.id, {
      env: { FAKE_MODE: 'exit', FAKE_EXIT_CODE: '3' },
      settings: { ...SETTINGS, maxRounds: 5 },
      maxConsecutiveFailures: 1,
      log: (line) => lines.push(line),
    });

    expect(result).toMatchObject({ reason: 'error', rounds: 1, failedRounds: 1, finalState: 'error' });
    expect(result.error).toBe('round 1 failed (exit code 3)');
    expect(lines).toContain('round 1: exit code 3; 3 messages back in the inbox');
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    const inbox = await town.messages.peek(agent.id);
    // The loop ended with the failure: the update the CLI never read is back in the inbox, not forgotten.
    expect(inbox).toMatchObject({ total: 3, urgent: 1, inflight: 0 });
    expect(inbox.messages.map((message) => message.type)).toEqual(['query', 'task_assign', 'informational']);
    expect((await town.agents.get(agent.id)).rounds_completed).toBe(0);
  });

  it('shows the next round what a failed round was told, once', async () => {
    const agent = await town.agents.register({ name: 'second-try', cli: 'fake' });
    const { task } = await town.tasks.assign('second-try', 'Ship it');
    await town.messages.send({ to: 'second-try', text: 'the deploy finished', kind: 'info' });
    const promptFile = join(dir, 'prompts.txt');

    const result = await loop(agent.id, {
      env: { FAKE_MODE: 'fail-once', FAKE_MARKER_FILE: join(dir, 'failed'), FAKE_PROMPT_FILE: promptFile },
      settings: { ...SETTINGS, maxRounds: 2 },
    });

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 2, failedRounds: 1 });
    expect((await town.tasks.get(task.id)).state).toBe('completed');
    const [, second] = (await readFile(promptFile, 'utf8')).split('\n=====\n');
    expect(second?.match(/the deploy finished/g)).toHaveLength(1);
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 0, inflight: 0 });
  });

  it('delivers a task left open by a round that exited 0 once more, then names it in later prompts', async () => {
    const agent = await town.agents.register({ name: 'forgetful', cli: 'fake' });
    const { task } = await town.tasks.assign('forgetful', 'Write the report');
    const promptFile = join(dir, 'prompts.txt');
    const prompts = async () => (await readFile(promptFile, 'utf8').catch(() => '')).split('\n=====\n');
    // The CLI exits 0 without completing anything, every round.
    const running = loop(agent.id, {
      env: { FAKE_MODE: 'exit', FAKE_EXIT_CODE: '0', FAKE_PROMPT_FILE: promptFile },
      settings: { ...SETTINGS, maxRounds: 3 },
    });

    // Round 2 shows the assignment again, without anyone sending anything.
    await until(async () => (await prompts()).length > 2);
    const [, second] = await prompts();
    expect(second).toContain(`Task id: \`${task.id}\``);
    expect(second).toContain('State: running');
    expect(second).toContain('still open');
    // Reminded once: a third round needs a new message, and its prompt lists the task as unfinished.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await prompts()).toHaveLength(3);
    await town.messages.send({ to: 'forgetful', text: 'How is it going?', kind: 'query' });
    const result = await running;

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 3, failedRounds: 0 });
    const third = (await prompts())[2] ?? '';
    expect(third).toContain('Your unfinished tasks from earlier rounds');
    expect(third).toContain(`\`${task.id}\` (running) Write the report`);
    expect(third).not.toContain(`Task id: \`${task.id}\``);
    expect((await town.tasks.get(task.id)).state).toBe('running');
    const activity = await town.agents.activity(agent.id);
    expect(activity.some((line) => line.includes(`task ${task.id} still open`))).toBe(true);
  });

  it('counts in its log and activity in words that fit the number', async () => {
    const agent = await town.agents.register({ name: 'counted', cli: 'fake' });
    await town.tasks.assign('counted', 'One job');
    const lines: string[] = [];

    const result = await loop(agent.id, { log: (line) => lines.push(line) });

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 1 });
    expect(lines[0]).toContain('; max 1 round, round timeout');
    expect(lines).toContainEqual(expect.stringMatching(/^round 1: 1 actionable message, task /));
    expect(lines).toContain('finished (max_rounds) after 1 round, 0 failed');
    expect(await town.agents.activity(agent.id)).toContainEqual(
      expect.stringMatching(/Z Stopped after 1 round \(max rounds\)$/),
    );

    await town.agents.restart('counted');
    await town.tasks.assign('counted', 'Second job');
    await town.tasks.assign('counted', 'Third job');
    lines.length = 0;
    await loop(agent.id, {
      settings: { ...SETTINGS, maxRounds: 2, idleTimeoutMs: 300 },
      log: (line) => lines.push(line),
    });
    expect(lines[0]).toContain('; max 2 rounds, round timeout');
    expect(lines).toContainEqual(expect.stringMatching(/^round 1: 2 actionable messages, task /));
    expect(lines.filter((line) => line.includes('(s)'))).toEqual([]);
  });

  it('names each round log by its round number, failed rounds included', async () => {
    const agent = await town.agents.register({ name: 'numbered', cli: 'fake' });
    await town.tasks.assign('numbered', 'Fail twice');
    const result = await loop(agent.id, {
      env: { FAKE_MODE: 'exit' },
      settings: { ...SETTINGS, maxRounds: 5 },
      maxConsecutiveFailures: 2,
    });
    expect(result).toMatchObject({ reason: 'error', rounds: 2, failedRounds: 2 });
    expect(result.error).toBe('2 rounds failed in a row (the last: exit code 1)');
    const logs = (await readdir(roundLogDir(dir, agent.id))).filter((name) => name.endsWith('.log'));
    expect(logs.map((name) => name.replace(/-\d+\.log$/, '')).sort()).toEqual(['round-1', 'round-2']);
  });

  it('keeps the newest round logs it is told to keep, and files that are not round logs', async () => {
    const agent = await town.agents.register({ name: 'chatty', cli: 'fake' });
    await town.tasks.assign('chatty', 'Fail five times');
    const logDir = roundLogDir(dir, agent.id);
    await mkdir(logDir, { recursive: true });
    await writeFile(join(logDir, 'notes.txt'), 'mine');

    const result = await loop(agent.id, {
      env: { FAKE_MODE: 'exit' },
      settings: { ...SETTINGS, maxRounds: 5, keepRoundLogs: 3 },
      maxConsecutiveFailures: 10,
    });

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 5, failedRounds: 5 });
    const left = (await readdir(logDir)).sort();
    expect(left.map((name) => name.replace(/-\d+\.log$/, ''))).toEqual([
      'notes.txt',
      'round-3',
      'round-4',
      'round-5',
    ]);
  });

  it('refuses bad settings before it changes anything', async () => {
    const agent = await town.agents.register({ name: 'strict', cli: 'fake' });
    await town.tasks.assign('strict', 'Never started');
    const before = await dumpKeys(redis.current.client);
    for (const keepRoundLogs of [0, 1.5]) {
      await expect(loop(agent.id, { settings: { ...SETTINGS, keepRoundLogs } })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: `settings.keepRoundLogs must be a whole number of 1 or more (the newest round logs kept per agent), got ${keepRoundLogs}`,
      });
    }
    // A round timeout of 0 would kill every round at once; 0 rounds would end the loop before it began.
    await expect(loop(agent.id, { settings: { ...SETTINGS, roundTimeoutMs: 0 } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'settings.roundTimeoutMs must be a number of milliseconds above 0, got 0',
    });
    await expect(loop(agent.id, { settings: { ...SETTINGS, maxRounds: 0 } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'settings.maxRounds must be a whole number of 1 or more, got 0',
    });
    expect(await dumpKeys(redis.current.client)).toEqual(before);
    expect(existsSync(roundLogDir(dir, agent.id))).toBe(false);
  });

  it('retries a failed round and succeeds on the next one', async () => {
    const agent = await town.agents.register({ name: 'retry', cli: 'fake' });
    const { task } = await town.tasks.assign('retry', 'Try again');
    // One loop whose CLI fails, then (after a restart) one whose CLI works: the same message is served again.
    await loop(agent.id, { env: { FAKE_MODE: 'exit' }, settings: { ...SETTINGS, maxRounds: 1 } });
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    await town.agents.restart('retry');
    const result = await loop(agent.id);
    expect(result.reason).toBe('max_rounds');
    expect((await town.tasks.get(task.id)).state).toBe('completed');
  });

  it('keeps its lease while a round runs longer than the lease', async () => {
    const agent = await town.agents.register({ name: 'slow', cli: 'fake' });
    const { task } = await town.tasks.assign('slow', 'Take your time');
    const running = loop(agent.id, { env: { FAKE_MODE: 'sleep', FAKE_SLEEP_MS: '2500' }, tickMs: 200 });

    await until(async () => (await town.agents.get(agent.id)).state === 'working');
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      const recovered = await town.recovery.recover();
      expect(recovered.recovered).toHaveLength(0);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const result = await running;
    expect(result).toMatchObject({ reason: 'max_rounds', failedRounds: 0 });
    expect((await town.tasks.get(task.id)).state).toBe('completed');
  });

  it('kills a round past its timeout together with its children', async () => {
    const agent = await town.agents.register({ name: 'hung', cli: 'fake' });
    const { task } = await town.tasks.assign('hung', 'Never finishes');
    const pidFile = join(dir, 'grandchild.pid');
    const started = Date.now();

    const result = await loop(agent.id, {
      env: { FAKE_MODE: 'grandchild', FAKE_PID_FILE: pidFile },
      settings: { ...SETTINGS, roundTimeoutMs: 2_500 },
      maxConsecutiveFailures: 1,
    });

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ failedRounds: 1, reason: 'error' });
    expect(result.error).toMatch(/timed out \(limit 2500 ms\) and was killed after \d+ ms/);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(await isProcessAlive(grandchild)).toBe(false);
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    expect((await town.messages.peek(agent.id)).total).toBe(1);
  });

  it('honours kill during a round: the CLI dies, the work goes back', async () => {
    const agent = await town.agents.register({ name: 'victim', cli: 'fake' });
    const { task } = await town.tasks.assign('victim', 'Long job');
    const pidFile = join(dir, 'grandchild.pid');
    const running = loop(agent.id, { env: { FAKE_MODE: 'grandchild', FAKE_PID_FILE: pidFile }, tickMs: 100 });

    await until(async () => existsSync(pidFile));
    await town.agents.kill('victim');
    const result = await running;

    expect(result).toMatchObject({ reason: 'killed', finalState: 'stopped' });
    expect(await isProcessAlive(Number(await readFile(pidFile, 'utf8')))).toBe(false);
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 1, inflight: 0 });
  });

  it('drops an assignment whose task was cancelled while it waited, and works the live one', async () => {
    const agent = await town.agents.register({ name: 'late', cli: 'fake' });
    const { task: gone } = await town.tasks.assign('late', 'Cancelled before any round');
    await town.tasks.cancel(gone.id, 'mission stopped');
    const { task: live } = await town.tasks.assign('late', 'Still wanted');
    const promptFile = join(dir, 'prompts.txt');

    const result = await loop(agent.id, { env: { FAKE_PROMPT_FILE: promptFile } });

    expect(result).toMatchObject({ reason: 'max_rounds', rounds: 1, failedRounds: 0, finalState: 'stopped' });
    const prompt = await readFile(promptFile, 'utf8');
    expect(prompt).toContain(`Task id: \`${live.id}\``);
    expect(prompt).not.toContain(`Task id: \`${gone.id}\``);
    expect(prompt).toContain(`assigned task ${gone.id}, which is already cancelled; nothing to do`);
    expect((await town.tasks.get(live.id)).state).toBe('completed');
    expect((await town.tasks.get(gone.id)).state).toBe('cancelled');
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 0, inflight: 0 });
  });

  it('runs no round for an inbox holding only stale assignments, and acknowledges them', async () => {
    const agent = await town.agents.register({ name: 'leftover', cli: 'fake' });
    const { task } = await town.tasks.assign('leftover', 'Finished elsewhere');
    await town.tasks.complete(task.id, 'done by hand');

    const result = await loop(agent.id, { settings: { ...SETTINGS, idleTimeoutMs: 300 } });

    expect(result).toMatchObject({
      reason: 'idle_timeout',
      rounds: 0,
      failedRounds: 0,
      finalState: 'stopped',
    });
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 0, inflight: 0 });
    expect(await town.agents.activity(agent.id, 20)).toContainEqual(
      expect.stringContaining(
        `Info: conductor: assigned task ${task.id}, which is already completed; nothing to do`,
      ),
    );
  });

  it('stops after the idle timeout, through draining', async () => {
    const agent = await town.agents.register({ name: 'sleepy', cli: 'fake' });
    const result = await loop(agent.id, { settings: { ...SETTINGS, idleTimeoutMs: 300 } });
    expect(result).toMatchObject({ reason: 'idle_timeout', rounds: 0, finalState: 'stopped' });
    const states = (await town.events.recent({ agent: agent.id, limit: 20 })).map((event) => event.new_state);
    expect(states).toContain('draining');
  });

  it('waits while interrupted and carries on after resume', async () => {
    const agent = await town.agents.register({ name: 'pausable', cli: 'fake' });
    const running = loop(agent.id);
    await until(async () => (await town.agents.get(agent.id)).state === 'idle');
    await town.agents.interrupt('pausable');
    const { task } = await town.tasks.assign('pausable', 'After the pause');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await town.messages.peek(agent.id)).total).toBe(1);
    expect((await town.tasks.get(task.id)).state).toBe('assigned');

    await town.agents.resume('pausable');
    const result = await running;
    expect(result.reason).toBe('max_rounds');
    expect((await town.tasks.get(task.id)).state).toBe('completed');
  });

  it('ends in error when its last allowed failure comes in a round it was interrupted or closed in', async () => {
    for (const control of ['interrupt', 'close'] as const) {
      const name = `${control}-failing`;
      const agent = await town.agents.register({ name, cli: 'fake' });
      await town.tasks.assign(name, 'Fails slowly');
      const running = loop(agent.id, {
        env: { FAKE_MODE: 'exit', FAKE_SLEEP_MS: '600' },
        maxConsecutiveFailures: 1,
      });
      await until(async () => (await town.agents.get(agent.id)).state === 'working');
      await town.agents[control](name);
      const result = await running;
      expect(result).toMatchObject({
        reason: 'error',
        finalState: 'error',
        error: 'round 1 failed (exit code 1)',
      });
      expect((await town.agents.get(agent.id)).state).toBe('error');
    }
  });

  it('ends between rounds when closed', async () => {
    const agent = await town.agents.register({ name: 'closing', cli: 'fake' });
    const running = loop(agent.id, { settings: { ...SETTINGS, maxRounds: 10 } });
    await until(async () => (await town.agents.get(agent.id)).state === 'idle');
    await town.agents.close('closing');
    expect(await running).toMatchObject({ reason: 'closed', finalState: 'stopped' });
  });

  it('claims role-matching backlog work when auto_claim is on, and leaves the rest', async () => {
    const agent = await town.agents.register({ name: 'backend-1', cli: 'fake' });
    const mine = await town.backlog.add('Add a pagination endpoint', { tags: ['api'] });
    const theirs = await town.backlog.add('Restyle the navbar', { tags: ['frontend'] });

    const result = await loop(agent.id, { settings: { ...SETTINGS, autoClaim: true } });

    expect(result.reason).toBe('max_rounds');
    expect(await town.tasks.get(mine.id)).toMatchObject({ state: 'completed', assigned_to: agent.id });
    expect(await town.tasks.get(theirs.id)).toMatchObject({ state: 'pending', assigned_to: null });
    expect((await town.backlog.list()).map((task) => task.id)).toEqual([theirs.id]);
  });

  it('summarises informational messages without running the CLI, then shows them in the next prompt', async () => {
    const agent = await town.agents.register({ name: 'reader', cli: 'fake' });
    await town.messages.send({ to: 'reader', text: 'the deploy finished', kind: 'info' });
    await town.messages.send({ to: 'reader', text: 'thanks!', kind: 'ack' });
    const promptFile = join(dir, 'prompts.txt');
    const running = loop(agent.id, { env: { FAKE_PROMPT_FILE: promptFile } });

    await until(async () => (await town.messages.peek(agent.id)).total === 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await town.agents.get(agent.id)).rounds_completed).toBe(0);
    const activity = await town.agents.activity(agent.id);
    expect(activity.some((line) => line.includes('the deploy finished'))).toBe(true);

    await town.tasks.assign('reader', 'Now some real work');
    await running;
    expect(await readFile(promptFile, 'utf8')).toContain('the deploy finished');
  });

  it('puts an agent whose CLI is not installed in error at once, naming the CLI and the setting', async () => {
    const agent = await town.agents.register({ name: 'broken', cli: 'missing' });
    const { task } = await town.tasks.assign('broken', 'Anything');
    const result = await runAgentLoop({
      town,
      agentId: agent.id,
      townRoot: dir,
      settings: SETTINGS,
      // As written in tinytown.toml: `env` may be left out.
      agentClis: { missing: { command: '/nonexistent/ai-cli --go' } },
      pollMs: 50,
    });
    const error =
      "The 'missing' CLI is not installed here: no executable '/nonexistent/ai-cli' at /nonexistent/ai-cli. Install it, set command in [agent_clis.missing] in tinytown.toml to run it from where it is, or choose another CLI (--cli, or default_cli in tinytown.toml)";
    expect(result).toMatchObject({ reason: 'error', rounds: 0, finalState: 'error', error });
    // Nothing was taken on: the work waits, untouched, for a CLI that runs.
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 1, inflight: 0 });
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
    expect(existsSync(roundLogDir(dir, agent.id))).toBe(false);
    expect((await town.agents.activity(agent.id))[0]).toContain(error);
  });

  it('puts an agent whose installed CLI fails to start in error, naming the CLI, and returns the work', async () => {
    const agent = await town.agents.register({ name: 'unstartable', cli: 'badshebang' });
    const { task } = await town.tasks.assign('unstartable', 'Anything');
    // Installed and executable, but its interpreter is not: the kernel's exec fails with ENOENT.
    const program = join(dir, 'bad-shebang');
    await writeFile(program, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const result = await runAgentLoop({
      town,
      agentId: agent.id,
      townRoot: dir,
      settings: SETTINGS,
      agentClis: { badshebang: { command: program } },
      pollMs: 50,
    });
    expect(result).toMatchObject({ reason: 'error', rounds: 1, failedRounds: 1, finalState: 'error' });
    expect(result.error).toMatch(/^The 'badshebang' CLI could not start: .*ENOENT/);
    expect(await town.messages.peek(agent.id)).toMatchObject({ total: 1, inflight: 0 });
    expect((await town.tasks.get(task.id)).state).toBe('assigned');
  });

  it('refuses at once an agent it cannot find, leaving the town as it was', async () => {
    const agent = await town.agents.register({ name: 'named', cli: 'fake' });
    const before = await dumpKeys(redis.current.client);
    await expect(loop('named')).rejects.toMatchObject({
      code: 'INVALID_ID',
      message: "agentId must be a UUID, got 'named'",
    });
    await expect(loop('00000000-0000-4000-8000-00000000beef')).rejects.toMatchObject({
      code: 'AGENT_NOT_FOUND',
    });
    expect(await dumpKeys(redis.current.client)).toEqual(before);
    // An id in capitals is the same agent.
    await town.tasks.assign('named', 'Anything');
    expect(await loop(agent.id.toUpperCase())).toMatchObject({ reason: 'max_rounds', finalState: 'stopped' });
  });

  it('refuses an unknown CLI name instead of running it', async () => {
    const agent = await town.agents.register({ name: 'typo', cli: 'rm -rf /' });
    const result = await loop(agent.id);
    expect(result.reason).toBe('error');
    expect(result.error).toContain('Unknown agent CLI');
    expect((await town.agents.get(agent.id)).state).toBe('error');
  });

  it('stops when its abort signal fires, returning the round', async () => {
    const agent = await town.agents.register({ name: 'aborted', cli: 'fake' });
    await town.tasks.assign('aborted', 'Long');
    const controller = new AbortController();
    const pidFile = join(dir, 'grandchild.pid');
    const running = loop(agent.id, {
      env: { FAKE_MODE: 'grandchild', FAKE_PID_FILE: pidFile },
      signal: controller.signal,
    });
    await until(async () => existsSync(pidFile));
    controller.abort();
    expect(await running).toMatchObject({ reason: 'aborted', finalState: 'stopped' });
    expect((await town.messages.peek(agent.id)).total).toBe(1);
  });

  it('exits quietly when its agent record is removed', async () => {
    const agent = await town.agents.register({ name: 'ghost', cli: 'fake' });
    const running = loop(agent.id, { settings: { ...SETTINGS, maxRounds: 10 } });
    await until(async () => (await town.agents.get(agent.id)).state === 'idle');
    await town.reset();
    expect((await running).reason).toBe('removed');
  });
});
