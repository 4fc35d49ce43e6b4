import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../src/process-group.js';
import { type RunRoundOptions, runCliRound } from '../src/process-runner.js';
import { buildRoundEnv } from '../src/round-env.js';
import { waitForFile } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ECHO = [process.execPath, join(FIXTURES, 'echo-prompt.mjs')];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-runner-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<RunRoundOptions> = {}): RunRoundOptions {
  return {
    cli: { argv: ECHO, promptVia: 'stdin' },
    prompt: 'hello',
    cwd: dir,
    env: buildRoundEnv({ agentId: 'agent-1', agentName: 'bob', town: 'shop' }),
    logFile: join(dir, 'logs', 'bob_round_1.log'),
    timeoutMs: 10_000,
    killGraceMs: 500,
    ...overrides,
  };
}

const readLog = (opts: RunRoundOptions) => readFile(opts.logFile, 'utf8');

describe('runCliRound', () => {
  it('passes the prompt on stdin and logs stdout and stderr', async () => {
    const opts = options({ prompt: 'line one\nline two' });
    const outcome = await runCliRound(opts);
    expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false, aborted: false });
    expect(outcome.spawnError).toBeUndefined();
    const log = await readLog(opts);
    expect(log).toContain('PROMPT<<line one\nline two>>');
    expect(log).toContain('to stderr');
    expect(log).toContain('round ended: exit code 0');
  });

  it('takes a timeout longer than a timer can hold as a very long one, not as none at all', async () => {
    // 35 days: past Node's 2^31-1 ms timer limit, which would fire at once and kill the round.
    const outcome = await runCliRound(
      options({ timeoutMs: 35 * 24 * 3_600_000, tickMs: 3e9, onTick: () => {} }),
    );
    expect(outcome).toMatchObject({ exitCode: 0, timedOut: false, aborted: false });
  });

  it('reports the exit code of a failing CLI', async () => {
    const opts = options({ env: { ...options().env, FAKE_EXIT_CODE: '3' } });
    const outcome = await runCliRound(opts);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.timedOut).toBe(false);
  });

  it('writes the prompt to a file, passes it after the flag, and removes it afterwards', async () => {
    const promptFile = join(dir, 'prompt.md');
    const opts = options({
      cli: { argv: ECHO, promptVia: { flag: '--prompt-file' } },
      promptFile,
      prompt: '# Do it',
    });
    const outcome = await runCliRound(opts);
    expect(outcome.exitCode).toBe(0);
    const log = await readLog(opts);
    expect(log).toContain('PROMPT<<# Do it>>');
    expect(log).toContain(`ARGV ${JSON.stringify(['--prompt-file', promptFile])}`);
    expect(existsSync(promptFile)).toBe(false);
  });

  it('gives the child the agent identity and runs it in the given directory', async () => {
    const env = buildRoundEnv(
      { agentId: 'agent-9', agentName: 'eve', town: 'shop', redisUrl: 'redis://127.0.0.1:7777' },
      { FAKE_MODEL: 'large' },
    );
    const opts = options({ env });
    await runCliRound(opts);
    const log = await readLog(opts);
    const envLine = log.split('\n').find((line) => line.startsWith('ENV '));
    expect(JSON.parse(envLine!.slice(4))).toMatchObject({
      TINYTOWN_AGENT_ID: 'agent-9',
      TINYTOWN_AGENT_NAME: 'eve',
      TINYTOWN_TOWN: 'shop',
      REDIS_URL: 'redis://127.0.0.1:7777',
      FAKE_MODEL: 'large',
    });
    expect(log).toContain(`CWD ${dir}`);
  });

  it('never runs shell syntax found in the prompt, on stdin or in a prompt file', async () => {
    const prompt = '$(touch x) `touch y` \'; touch z; rm -rf "$HOME/nothing" ; echo \'';
    for (const promptVia of ['stdin', { flag: '--prompt-file' }] as const) {
      const opts = options({ cli: { argv: ECHO, promptVia }, prompt });
      const outcome = await runCliRound(opts);
      expect(outcome.exitCode).toBe(0);
      expect(await readLog(opts)).toContain(`PROMPT<<${prompt}>>`);
    }
    for (const name of ['x', 'y', 'z']) expect(existsSync(join(dir, name))).toBe(false);
  });

  it('kills a round past its timeout together with the processes it started', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const opts = options({
      cli: { argv: ['sh', join(FIXTURES, 'spawn-grandchild.sh'), pidFile], promptVia: 'stdin' },
      timeoutMs: 400,
    });
    const started = Date.now();
    const outcome = await runCliRound(opts);
    const grandchild = Number(await waitForFile(pidFile));
    expect(outcome.timedOut).toBe(true);
    expect(outcome.exitCode).toBeNull();
    expect(outcome.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await isProcessAlive(grandchild)).toBe(false);
    expect(await readLog(opts)).toContain('(timed out)');
  });

  it('escalates to SIGKILL when the CLI ignores SIGTERM', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const opts = options({
      cli: { argv: ['sh', join(FIXTURES, 'ignore-term.sh'), pidFile], promptVia: 'stdin' },
      timeoutMs: 300,
      killGraceMs: 300,
    });
    const outcome = await runCliRound(opts);
    expect(outcome.timedOut).toBe(true);
    expect(outcome.signal).toBe('SIGKILL');
    expect(await isProcessAlive(Number(await waitForFile(pidFile)))).toBe(false);
  });

  it('kills the round when the abort signal fires', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const controller = new AbortController();
    const opts = options({
      cli: { argv: ['sh', join(FIXTURES, 'spawn-grandchild.sh'), pidFile], promptVia: 'stdin' },
      signal: controller.signal,
    });
    const running = runCliRound(opts);
    const grandchild = Number(await waitForFile(pidFile));
    controller.abort();
    const outcome = await running;
    expect(outcome).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
    expect(outcome.durationMs).toBeLessThan(5_000);
    expect(await isProcessAlive(grandchild)).toBe(false);
  });

  it('does not start a round whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const opts = options({ signal: controller.signal });
    const outcome = await runCliRound(opts);
    expect(outcome).toMatchObject({ aborted: true, pid: undefined, exitCode: null });
    expect(existsSync(opts.logFile)).toBe(false);
  });

  it('ticks while the CLI runs and stops ticking when it ends', async () => {
    let ticks = 0;
    const opts = options({
      cli: { argv: ['sleep', '0.6'], promptVia: 'stdin' },
      tickMs: 100,
      onTick: () => {
        ticks += 1;
      },
    });
    const outcome = await runCliRound(opts);
    expect(outcome.exitCode).toBe(0);
    expect(ticks).toBeGreaterThanOrEqual(3);
    const after = ticks;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ticks).toBe(after);
  });

  it('reports a failing tick without disturbing the round', async () => {
    const errors: unknown[] = [];
    const opts = options({
      cli: { argv: ['sleep', '0.3'], promptVia: 'stdin' },
      tickMs: 50,
      onTick: async () => {
        throw new Error('lease lost');
      },
      onTickError: (error) => errors.push(error),
    });
    const outcome = await runCliRound(opts);
    expect(outcome.exitCode).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect((errors[0] as Error).message).toBe('lease lost');
  });

  it('cleans up processes a CLI left behind after exiting normally', async () => {
    const pidFile = join(dir, 'straggler.pid');
    const opts = options({
      cli: { argv: ['sh', '-c', 'sleep 30 & echo $! > "$1"', 'sh', pidFile], promptVia: 'stdin' },
    });
    const outcome = await runCliRound(opts);
    expect(outcome.exitCode).toBe(0);
    expect(await isProcessAlive(Number(await waitForFile(pidFile)))).toBe(false);
  });

  it('reports a CLI that cannot be started', async () => {
    const opts = options({ cli: { argv: [join(dir, 'no-such-cli')], promptVia: 'stdin' } });
    const outcome = await runCliRound(opts);
    expect(outcome.spawnError).toBeInstanceOf(Error);
    expect(outcome.exitCode).toBeNull();
    expect(await readLog(opts)).toContain('could not start');
  });
});
