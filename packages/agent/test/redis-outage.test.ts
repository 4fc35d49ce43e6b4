import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Town } from '@tinytown/store';
import { freePort } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentLoop } from '../src/runtime.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'store-agent.mjs');

// A private redis-server with an append-only file, so a crash and restart keeps the town's data.
let dir: string;
let port: number;
let server: ChildProcess | undefined;

function startServer(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
}

async function crashServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-outage-'));
  port = await freePort();
  server = await startServer();
});
afterAll(async () => {
  await crashServer();
  await rm(dir, { recursive: true, force: true });
});

const serverUrl = () => `redis://127.0.0.1:${port}`;

/** Few retries per command, as `tt` connects: the outage reaches the loop as errors, not just delays. */
function connect(name: string): Promise<Town> {
  return Town.connect({
    url: serverUrl(),
    town: name,
    settings: { leaseMs: 60_000 },
    maxRetriesPerRequest: 1,
  });
}

/** One round of the store-agent fixture (with `env`), its log lines collected in `lines`. */
function runOneRound(town: Town, agentId: string, lines: string[], env: Record<string, string> = {}) {
  return runAgentLoop({
    town,
    agentId,
    townRoot: dir,
    settings: { maxRounds: 1, idleTimeoutMs: 0, roundTimeoutMs: 20_000, autoClaim: false },
    agentClis: { fake: { command: `${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)}`, env } },
    redisUrl: serverUrl(),
    pollMs: 100,
    log: (line) => lines.push(line),
  });
}

describe('the agent loop across a Redis restart', () => {
  it('waits for Redis to come back and carries on', async () => {
    const town = await connect('outage');
    try {
      const agent = await town.agents.register({ name: 'steady', cli: 'fake' });
      const lines: string[] = [];
      const running = runOneRound(town, agent.id, lines);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await crashServer();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      server = await startServer();
      const { task } = await town.tasks.assign('steady', 'Work after the outage');
      const result = await running;
      expect(result).toMatchObject({ reason: 'max_rounds', rounds: 1, failedRounds: 0 });
      expect((await town.tasks.get(task.id)).state).toBe('completed');
      // One line when it goes, one when it is back, however many retries came between.
      expect(lines.filter((line) => line.startsWith('Redis is unavailable: '))).toHaveLength(1);
      expect(lines.filter((line) => /^Redis is back after \d+\.\d s$/.test(line))).toHaveLength(1);
    } finally {
      await town.close();
    }
  });

  it('says Redis is back before running again a round the outage cut short', async () => {
    const town = await connect('outage-round');
    try {
      const agent = await town.agents.register({ name: 'midway', cli: 'fake' });
      const { task } = await town.tasks.assign('midway', 'Work through an outage');
      const lines: string[] = [];
      const seen = async (pattern: RegExp) => {
        const deadline = Date.now() + 15_000;
        while (!lines.some((line) => pattern.test(line))) {
          if (Date.now() > deadline) throw new Error(`never logged ${pattern}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      };
      const running = runOneRound(town, agent.id, lines, { FAKE_MODE: 'sleep', FAKE_SLEEP_MS: '1500' });
      // Redis goes while the CLI works: the round cannot be settled, and runs again once Redis is back.
      await seen(/^round 1: 1 actionable/);
      await crashServer();
      await seen(/^Redis is unavailable: /);
      server = await startServer();
      const result = await running;
      expect(result).toMatchObject({ reason: 'max_rounds', rounds: 1 });
      expect((await town.tasks.get(task.id)).state).toBe('completed');
      const back = lines.findIndex((line) => line.startsWith('Redis is back after '));
      const rounds = lines.flatMap((line, index) =>
        line.startsWith('round 1: 1 actionable') ? [index] : [],
      );
      expect(rounds).toHaveLength(2);
      expect(back).toBeGreaterThan(rounds[0] ?? -1);
      expect(back).toBeLessThan(rounds[1] ?? -1);
    } finally {
      await town.close();
    }
  });
});
