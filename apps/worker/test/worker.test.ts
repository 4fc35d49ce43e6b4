import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGitHubForge, MissionService } from '@tinytown/mission';
import { Town } from '@tinytown/store';
import { freePort, runWithClosedStdout, startTestRedis, useTestRedis } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startBin(
  dir: string,
  redisUrl: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output(): string }> {
  const args = options.args ?? ['--metrics-port', '0'];
  const child = spawn(process.execPath, [BIN, '--town', dir, ...args, '--interval', '0.1'], {
    env: { ...process.env, REDIS_URL: redisUrl, GITHUB_API_URL: 'http://127.0.0.1:9', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], exited, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

/** A town directory and its Redis data: one idle researcher and a running mission over a doc. */
async function townWithMission(redisUrl: string, name: string) {
  const dir = mkdtempSync(join(tmpdir(), `tt-worker-${name}-`));
  dirs.push(dir);
  writeFileSync(join(dir, 'tinytown.toml'), `name = "${name}"\n`);
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'plan.md'), '# The plan\n');
  const town = await Town.connect({ url: redisUrl, town: name });
  await town.agents.register({ name: 'researcher-1', cli: 'fake', role: 'researcher' });
  await town.agents.transition('researcher-1', 'idle');
  const service = new MissionService({
    town,
    forge: createGitHubForge({ baseUrl: 'http://127.0.0.1:9' }),
    townRoot: dir,
  });
  const { mission } = await service.start({ objectives: [{ type: 'doc', path: 'docs/plan.md' }] });
  return { dir, town, mission };
}

describe('tinytown-worker', () => {
  const redis = useTestRedis();

  it('ends quietly when its reader closes the pipe early (tinytown-worker --help | head)', async () => {
    const { code, stderr } = await runWithClosedStdout(BIN, ['--help']);
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('--once runs one pass, says what it did, leaves no lease behind and exits 0', async () => {
    const { dir, town, mission } = await townWithMission(redis.current.url, 'otown');
    try {
      const run = spawnSync(process.execPath, [BIN, '--town', dir, '--once'], {
        env: { ...process.env, REDIS_URL: redis.current.url, GITHUB_API_URL: 'http://127.0.0.1:9' },
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        /^tinytown-worker: one pass over town otown in \d+ ms: missions due 1, ticked 1, held by another worker 0, failed 0; agents recovered 0\n$/,
      );
      expect((await town.missions.workItems(mission.id))[0]?.status).toBe('assigned');
      expect(await redis.current.client.exists(town.context.keys.missionLease(mission.id))).toBe(0);
    } finally {
      await town.close();
    }
  });

  it('--mission ticks that mission only, on every pass, and refuses one that does not exist', async () => {
    const { dir, town, mission: other } = await townWithMission(redis.current.url, 'mtown');
    try {
      const service = new MissionService({
        town,
        forge: createGitHubForge({ baseUrl: 'http://127.0.0.1:9' }),
        townRoot: dir,
      });
      const { mission } = await service.start({ objectives: [{ type: 'doc', path: 'docs/plan.md' }] });
      const env = { ...process.env, REDIS_URL: redis.current.url, GITHUB_API_URL: 'http://127.0.0.1:9' };
      const once = () =>
        spawnSync(process.execPath, [BIN, '--town', dir, '--once', '--mission', mission.id.slice(0, 8)], {
          env,
          encoding: 'utf8',
        });
      const first = once();
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        new RegExp(`one pass over mission ${mission.id} of town mtown .*: missions due 1, ticked 1`),
      );
      const tickedAt = async (id: string) => (await town.missions.get(id)).dispatcher_last_tick_at;
      const firstTick = await tickedAt(mission.id);
      expect(firstTick).toEqual(expect.any(String));
      expect(await tickedAt(other.id)).toBeFalsy();
      // Not due again yet (its wake time is a poll interval away), and ticked all the same.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(once().status).toBe(0);
      expect(await tickedAt(mission.id)).not.toBe(firstTick);
      expect(await tickedAt(other.id)).toBeFalsy();

      const unknown = spawnSync(
        process.execPath,
        [BIN, '--town', dir, '--once', '--mission', '00000000-0000-4000-8000-000000000000'],
        { env, encoding: 'utf8' },
      );
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/^tinytown-worker: Mission not found/);
    } finally {
      await town.close();
    }
  });

  it('names the fix when its /health and /metrics port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const dir = mkdtempSync(join(tmpdir(), 'tt-worker-port-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tinytown.toml'), 'name = "porttown"\n');
    try {
      const port = (holder.address() as AddressInfo).port;
      const taken = spawnSync(process.execPath, [BIN, '--town', dir, '--metrics-port', String(port)], {
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL: redis.current.url },
      });
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain(
        `tinytown-worker: port ${port} on 127.0.0.1 (this worker's /health and /metrics) is already in use, perhaps by another worker: give each worker its own with --metrics-port (0 picks a free one)`,
      );
    } finally {
      holder.close();
    }
  });

  it('serves health and metrics, heartbeats, dispatches missions, and exits 0 on SIGTERM', async () => {
    const { dir, town, mission } = await townWithMission(redis.current.url, 'wtown');
    try {
      const worker = await startBin(dir, redis.current.url);
      const health = await fetch(`${worker.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', town: 'wtown' });

      // The dispatcher picks up the mission and assigns its design item.
      const assigned = await waitFor(async () => {
        const items = await town.missions.workItems(mission.id);
        return items[0]?.status === 'assigned' ? items[0] : undefined;
      });
      expect(assigned.task_ids).toHaveLength(1);

      const workers = await town.probes.workers();
      expect(Object.keys(workers)).toHaveLength(1);
      expect(Object.values(workers)[0]).toBeGreaterThan(Date.now() - 10_000);

      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toContain('tinytown_worker_ticks_total');
      expect(metrics).toContain(
        '# HELP tinytown_worker_pass_duration_seconds Duration of a dispatcher pass.',
      );
      expect(metrics).toContain('tinytown_worker_leases_held');
      expect(metrics).toMatch(/tinytown_worker_passes_total [1-9]/);

      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(await town.probes.workers()).toEqual({});
      expect(await redis.current.client.keys(`tt:{wtown}:mission:${mission.id}:lease`)).toEqual([]);
    } finally {
      await town.close();
    }
  });

  it('says when it loses Redis and when Redis is back, once each', async () => {
    const own = await startTestRedis();
    const dir = mkdtempSync(join(tmpdir(), 'tt-worker-outage-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tinytown.toml'), 'name = "outage"\n');
    try {
      const worker = await startBin(dir, own.url);
      await own.crash();
      await waitFor(async () => (/lost Redis/.test(worker.output()) ? true : undefined));
      await own.restart();
      await waitFor(async () => (/Redis is back after \d+\.\d s/.test(worker.output()) ? true : undefined));
      expect(worker.output().match(/lost Redis/g)).toHaveLength(1);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('serves /health where TINYTOWN_WORKER_METRICS_HOST and _PORT say, under the flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-worker-env-'));
    dirs.push(dir);
    const port = await freePort();
    const env = {
      TINYTOWN_TOWN: 'envtown',
      TINYTOWN_WORKER_METRICS_HOST: '127.0.0.2',
      TINYTOWN_WORKER_METRICS_PORT: `${port}`,
    };
    const worker = await startBin(dir, redis.current.url, { args: [], env });
    expect(worker.url).toBe(`http://127.0.0.2:${port}`);
    expect(await (await fetch(`${worker.url}/health`)).json()).toMatchObject({
      status: 'ok',
      town: 'envtown',
    });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const flagged = await startBin(dir, redis.current.url, {
      args: ['--metrics-host', '127.0.0.1', '--metrics-port', '0'],
      env,
    });
    expect(flagged.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    flagged.child.kill('SIGTERM');
    expect(await flagged.exited).toBe(0);
    const bad = spawnSync(process.execPath, [BIN, '--town', dir], {
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL: redis.current.url, ...env, TINYTOWN_WORKER_METRICS_PORT: 'http' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('tinytown-worker: TINYTOWN_WORKER_METRICS_PORT must be a number of at least 0\n');
  });

  it('exits within its shutdown deadline on SIGTERM while Redis is down', async () => {
    const own = await startTestRedis();
    const dir = mkdtempSync(join(tmpdir(), 'tt-worker-down-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tinytown.toml'), 'name = "down"\n');
    try {
      const worker = await startBin(dir, own.url);
      await own.crash();
      await waitFor(async () => (/lost Redis/.test(worker.output()) ? true : undefined));
      const signalled = Date.now();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(1);
      expect(Date.now() - signalled).toBeLessThan(12_000);
      expect(worker.output()).toContain(
        'tinytown-worker: the current pass did not finish within 10 s (is Redis reachable?); exiting without releasing its mission leases, which lapse within 30 s',
      );
    } finally {
      await own.stop();
    }
  }, 30_000);
});
