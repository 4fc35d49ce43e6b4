import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { TinytownError } from '@tinytown/core';
import { MIN_REDIS_VERSION, openRedis, parseRedisVersion } from './connection.js';

const run = promisify(execFile);

const INSTALL_HINT =
  'Install Redis 7 or newer (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`), ' +
  'or point Tinytown at a running server with REDIS_URL=redis://host:6379.';

/** Unix socket paths longer than this fail on Linux (108 bytes with the terminator) and macOS (104). */
const MAX_SOCKET_PATH = 100;

export interface LocalRedisPaths {
  /** `<town>/.tt` */
  stateDir: string;
  socket: string;
  dataDir: string;
  pidFile: string;
  logFile: string;
}

export function localRedisPaths(townRoot: string, socketPath = '.tt/redis.sock'): LocalRedisPaths {
  const stateDir = resolve(townRoot, '.tt');
  return {
    stateDir,
    socket: resolve(townRoot, socketPath),
    dataDir: join(stateDir, 'redis'),
    pidFile: join(stateDir, 'redis.pid'),
    logFile: join(stateDir, 'redis.log'),
  };
}

/** Checks that `redis-server` is installed and new enough; the error says how to fix it. */
export async function checkRedisServerBinary(binary = 'redis-server'): Promise<string> {
  let output: string;
  try {
    output = (await run(binary, ['--version'])).stdout;
  } catch {
    throw new TinytownError('REDIS_NOT_INSTALLED', `redis-server was not found on PATH. ${INSTALL_HINT}`);
  }
  const version = /v=(\d+)\.(\d+)\.(\d+)/.exec(output);
  const [major, minor, patch] = version ? version.slice(1).map(Number) : parseRedisVersion(output);
  if ((major ?? 0) < MIN_REDIS_VERSION[0]) {
    throw new TinytownError(
      'REDIS_TOO_OLD',
      `redis-server ${major}.${minor}.${patch} is too old; Tinytown needs ${MIN_REDIS_VERSION.join('.')}+. ${INSTALL_HINT}`,
      { version: `${major}.${minor}.${patch}` },
    );
  }
  return `${major}.${minor}.${patch}`;
}

async function answersPing(url: string): Promise<boolean> {
  const probe = openRedis(url, { maxRetriesPerRequest: 0, connectTimeoutMs: 1000 });
  probe.options.retryStrategy = () => null;
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface LocalRedis {
  url: string;
  /** False when a server was already running for this town and was reused. */
  started: boolean;
  /** Stops the server this call started (a reused server is left alone). */
  stop(): Promise<void>;
}

/**
 * The embedded default: a redis-server for one town on a Unix socket under `<town>/.tt/`, with
 * append-only persistence in `.tt/redis/`. Reuses a server already answering on that socket.
 * `detached` lets the server outlive this process (stop it with `stopLocalRedis`).
 */
export async function startLocalRedis(
  townRoot: string,
  options: { socketPath?: string; detached?: boolean; binary?: string; readyTimeoutMs?: number } = {},
): Promise<LocalRedis> {
  const paths = localRedisPaths(townRoot, options.socketPath);
  const url = `unix://${paths.socket}`;
  if (paths.socket.length > MAX_SOCKET_PATH) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `The Redis socket path ${paths.socket} is too long for a Unix socket; move the town or set REDIS_URL.`,
    );
  }
  if (await answersPing(url)) return { url, started: false, stop: async () => {} };

  await checkRedisServerBinary(options.binary);
  await mkdir(paths.dataDir, { recursive: true });
  await rm(paths.socket, { force: true });
  const args = [
    '--port',
    '0',
    '--unixsocket',
    paths.socket,
    '--unixsocketperm',
    '700',
    '--dir',
    paths.dataDir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--pidfile',
    paths.pidFile,
    '--logfile',
    paths.logFile,
    '--daemonize',
    'no',
  ];
  const child: ChildProcess = spawn(options.binary ?? 'redis-server', args, {
    stdio: 'ignore',
    detached: options.detached === true,
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  if (options.detached) child.unref();

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  while (!(await answersPing(url))) {
    if (exited !== undefined) {
      const log = await readFile(paths.logFile, 'utf8').catch(() => '');
      throw new TinytownError(
        'REDIS_UNAVAILABLE',
        `redis-server exited with code ${exited} before it was ready. Last log lines:\n${log.split('\n').slice(-5).join('\n')}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TinytownError(
        'TIMEOUT',
        `redis-server did not become ready within ${options.readyTimeoutMs ?? 10_000} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    started: true,
    stop: async () => {
      if (exited !== undefined) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** Stops a detached local server through its pid file. Returns false when none was running. */
export async function stopLocalRedis(
  townRoot: string,
  options: { socketPath?: string; timeoutMs?: number } = {},
): Promise<boolean> {
  const paths = localRedisPaths(townRoot, options.socketPath);
  const pid = Number.parseInt(await readFile(paths.pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
  return true;
}
