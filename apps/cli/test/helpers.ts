import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const TT = resolve(import.meta.dirname, '../dist/main.js');
export const ECHO_AGENT = resolve(import.meta.dirname, '../../../examples/echo-agent.mjs');
export const SLOW_AGENT = resolve(import.meta.dirname, 'fixtures/slow-agent.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `tt` with an argv array (no shell involved). */
export function runTt(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [TT, ...args],
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export const cliCommand = (script: string) => `${JSON.stringify(process.execPath)} ${JSON.stringify(script)}`;

export interface TestTown {
  dir: string;
  name: string;
  env: NodeJS.ProcessEnv;
  tt(...args: string[]): Promise<Run>;
  /** Runs with --json, expects exit 0 and returns the parsed document. */
  json<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /** Stops every agent process the town started and removes its directory. */
  cleanup(): Promise<void>;
}

let counter = 0;

/** A fresh town directory (`tt init`) on the given Redis, never the machine's shared server. */
export async function createTown(
  redisUrl: string | undefined,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<TestTown> {
  const dir = await mkdtemp(join(tmpdir(), 'tt-cli-'));
  const name = `town${process.pid}x${++counter}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TT_HOME: join(dir, '.home'), NO_COLOR: '1', ...extraEnv };
  delete env.TT_TOWN;
  delete env.TINYTOWN_AGENT_ID;
  delete env.TINYTOWN_AGENT_NAME;
  delete env.TINYTOWN_TOWN;
  if (redisUrl === undefined) delete env.REDIS_URL;
  else env.REDIS_URL = redisUrl;
  const tt = (...args: string[]) => runTt(args, { cwd: dir, env });
  const town: TestTown = {
    dir,
    name,
    env,
    tt,
    async json<T>(...args: string[]): Promise<T> {
      const run = await tt(...args, '--json');
      if (run.code !== 0) throw new Error(`tt ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
      return JSON.parse(run.stdout) as T;
    },
    async cleanup() {
      for (const pid of agentPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      if (existsSync(join(dir, '.tt', 'redis.pid')))
        spawnSync(process.execPath, [TT, 'down'], { cwd: dir, env, timeout: 20_000 });
      await rm(dir, { recursive: true, force: true });
    },
  };
  const init = await tt('init', '--name', name, '--no-start');
  if (init.code !== 0) throw new Error(`tt init failed: ${init.stderr}`);
  return town;
}

export function agentPids(dir: string): number[] {
  const agents = join(dir, '.tt', 'agents');
  if (!existsSync(agents)) return [];
  return readdirSync(agents)
    .filter((file) => file.endsWith('.pid'))
    .map((file) => Number.parseInt(readFileSync(join(agents, file), 'utf8'), 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
