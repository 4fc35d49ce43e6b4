import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import type { Agent } from '@tinytown/core';
import { freePort } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, cliCommand, createTown, ECHO_AGENT, runTt, type TestTown, TT, until } from './helpers.js';

const TOWNHALL_BIN = resolve(import.meta.dirname, '../../townhall/dist/main.js');
const WORKER_BIN = resolve(import.meta.dirname, '../../worker/dist/main.js');

const towns: TestTown[] = [];
afterEach(async () => {
  for (const town of towns.splice(0)) await town.cleanup();
});

/** Processes whose command line mentions the town directory (redis-server, townhall, worker, agents). */
/** A failed assertion must not leave a town running: its children outlive a SIGKILLed tt up. */
function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/** Processes whose command line names `dir` (and `also`, when given). */
function processesOf(dir: string, also = ''): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && cmdline.includes(also) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** A running `tt up`, and everything it has printed so far (stdout and stderr). */
interface UpRun {
  readonly child: ChildProcess;
  readonly output: string;
  readonly exited: Promise<number | null>;
}

/** Starts `tt up` for `t` on `port` and waits until it says the town is up. */
async function startUp(t: TestTown, port: number): Promise<UpRun> {
  const child = spawn(process.execPath, [TT, 'up', '--port', String(port)], {
    cwd: t.dir,
    env: t.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const run: UpRun = {
    child,
    get output() {
      return text;
    },
    exited: new Promise((done) => child.once('exit', (code) => done(code))),
  };
  try {
    await until(() => text.includes('is up'), 30_000, 'tt up to start');
  } catch (error) {
    stopUp(run, t);
    throw error;
  }
  return run;
}

/** However the test went, nothing of the town is left running. */
function stopUp(run: UpRun, t: TestTown): void {
  if (run.child.exitCode === null) run.child.kill('SIGKILL');
  killAll(processesOf(t.dir));
}

/** Listens on `port` unless something already does; either way the port is taken while the test runs. */
function holdPort(port: number): Promise<Server | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(undefined));
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

describe('tt up', () => {
  it('runs Redis, townhall and the worker in the foreground, and SIGINT leaves no process behind', async () => {
    const t = await createTown(undefined, { ECHO_AGENT_DELAY_MS: '10' });
    towns.push(t);
    const port = await freePort();
    const blocker = await holdPort(9464);
    const up = await startUp(t, port).catch((error: unknown) => {
      blocker?.close();
      throw error;
    });
    try {
      const redisPid = Number(readFileSync(join(t.dir, '.tt', 'redis.pid'), 'utf8'));
      expect(alive(redisPid)).toBe(true);
      const second = await t.tt('up', '--port', String(port));
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('already running');

      // The town answers: an agent can be spawned against the embedded Redis and does its work.
      await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
      const { agent, pid } = await t.json<{ agent: Agent; pid: number }>('spawn', 'alice', '--cli', 'echo');
      const { task } = await t.json<{ task: { id: string } }>('assign', 'alice', 'Say hello');
      await until(
        async () =>
          (await t.json<{ task: { state: string } }>('task', 'show', task.id)).task.state === 'completed',
        30_000,
      );

      if (existsSync(TOWNHALL_BIN)) {
        const health = await until(
          async () => {
            try {
              const response = await fetch(`http://127.0.0.1:${port}/health`);
              return response.ok ? response : undefined;
            } catch {
              return undefined;
            }
          },
          30_000,
          `townhall /health; output:\n${up.output}`,
        );
        expect(health.status).toBe(200);
        // Townhall's JSON log lines arrive as one short line per request (probes such as /health log none).
        expect((await fetch(`http://127.0.0.1:${port}/v1/town`)).status).toBe(200);
        await until(() => /\[townhall\] GET \/v1\/town 200 \d+\.\d ms/.test(up.output), 10_000, up.output);
        expect(up.output).not.toContain('GET /health');
        expect(up.output).not.toContain('"level":');
        // Said once, by townhall itself; tt up adds nothing unless /health never answers.
        expect(up.output.match(/\[townhall\][^\n]*ready[^\n]*/g)).toEqual([
          expect.stringContaining('townhall ready at http'),
        ]);
        expect(up.output).not.toContain('/health did not answer');
      } else {
        expect(up.output).toContain('[townhall] not built: skipped');
      }
      if (existsSync(WORKER_BIN)) {
        // Port 9464 (the worker's own default) is held by another town's worker, or by the test: this
        // town's worker runs anyway, on a port of its own.
        await until(
          () => /\[worker\] +tinytown-worker \S+ ready at http:\/\/127\.0\.0\.1:\d+/.test(up.output),
          15_000,
          up.output,
        );
        expect(up.output).not.toContain('[worker]   exited');
      } else {
        expect(up.output).toContain('[worker]   not built: skipped');
      }

      up.child.kill('SIGINT');
      expect(await up.exited).toBe(0);
      expect(alive(redisPid)).toBe(false);
      expect(alive(pid)).toBe(false);
      await until(() => processesOf(t.dir).length === 0, 10_000, 'every town process to exit');
      expect(up.output).toContain('[redis]    stopped');
      expect(existsSync(join(t.dir, '.tt', 'up.pid'))).toBe(false);
      void agent;
    } finally {
      stopUp(up, t);
      blocker?.close();
    }
  });

  it('stops the whole town on SIGHUP (a closed terminal), with its agents, and says nothing more', async () => {
    const t = await createTown(undefined, { ECHO_AGENT_DELAY_MS: '10' });
    towns.push(t);
    const port = await freePort();
    const up = await startUp(t, port);
    try {
      await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
      const { pid } = await t.json<{ pid: number }>('spawn', 'carl', '--cli', 'echo');
      const redisPid = Number(readFileSync(join(t.dir, '.tt', 'redis.pid'), 'utf8'));
      const before = up.output.length;
      up.child.kill('SIGHUP');
      expect(await up.exited).toBe(0);
      expect(alive(pid)).toBe(false);
      expect(alive(redisPid)).toBe(false);
      await until(() => processesOf(t.dir).length === 0, 10_000, 'every town process to exit');
      expect(existsSync(join(t.dir, '.tt', 'up.pid'))).toBe(false);
      expect(up.output.slice(before)).toBe('');
    } finally {
      stopUp(up, t);
    }
  });

  it('townhall and the worker stop by themselves when tt up is killed outright', async () => {
    const t = await createTown(undefined);
    towns.push(t);
    const port = await freePort();
    const services = () => [...processesOf(t.dir, 'townhall'), ...processesOf(t.dir, 'worker')];
    const up = await startUp(t, port);
    try {
      expect(services()).toHaveLength(2);
      up.child.kill('SIGKILL');
      await until(() => services().length === 0, 15_000, 'townhall and the worker to exit');
      // Redis is the town's, not tt up's: tt down stops it.
      expect((await t.json<{ redis_stopped: boolean }>('down')).redis_stopped).toBe(true);
    } finally {
      stopUp(up, t);
    }
  });

  it('stops the town and fails when townhall cannot start (its port is taken), leaving nothing running', async () => {
    const t = await createTown(undefined);
    towns.push(t);
    const port = await freePort();
    const blocker = await holdPort(port);
    try {
      const run = await runTt(['up', '--port', String(port)], { cwd: t.dir, env: t.env, timeoutMs: 40_000 });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toContain('[townhall] exited (code 1)');
      expect(run.stdout).not.toContain('is up');
      expect(run.stderr).toMatch(/^tt: error: townhall exited \(code 1\), so tt up stopped the town/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      await until(() => processesOf(t.dir).length === 0, 10_000, 'every town process to exit');
      expect(existsSync(join(t.dir, '.tt', 'up.pid'))).toBe(false);
    } finally {
      blocker?.close();
      killAll(processesOf(t.dir));
    }
  });

  it('refuses a bad --port before starting anything', async () => {
    const t = await createTown(undefined);
    towns.push(t);
    for (const port of ['0', 'http', '70000']) {
      const run = await t.tt('up', '--port', port);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim()).toMatch(/^tt: error: port: expected/);
      expect(run.stdout).toBe('');
    }
    expect(existsSync(join(t.dir, '.tt', 'redis.pid'))).toBe(false);
    expect(processesOf(t.dir)).toEqual([]);
  });

  it('tt down stops a town started by tt init, with its agents', async () => {
    const t = await createTown(undefined);
    towns.push(t);
    const init = await t.json<{ redis_started: boolean }>('init', '--name', t.name, '--force');
    expect(init.redis_started).toBe(true);
    const redisPid = Number(readFileSync(join(t.dir, '.tt', 'redis.pid'), 'utf8'));
    await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
    const { pid } = await t.json<{ pid: number }>('spawn', 'bob', '--cli', 'echo');
    const down = await t.json<{ redis_stopped: boolean; agents_stopped: number }>('down');
    expect(down).toMatchObject({ redis_stopped: true, agents_stopped: 1 });
    await until(() => !alive(pid) && !alive(redisPid), 15_000);
    const after = await t.tt('status');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('tt up');
    // The way back, as the error says: tt init again starts the town's Redis and keeps its data.
    const back = await t.json<{ redis_started: boolean; already_initialized: boolean }>('init');
    expect(back).toMatchObject({ redis_started: true, already_initialized: true });
    expect((await t.json<{ agents: Agent[] }>('list')).agents.map((agent) => agent.name)).toEqual(['bob']);
    await t.json('down');
  });
});
