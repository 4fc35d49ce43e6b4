import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedisOptions {
  /** Listen on a Unix socket in the temp dir as well as the TCP port. */
  unixSocket?: boolean;
  /** `requirepass` for the server; the URL carries it, percent-encoded. */
  password?: string;
}

export interface TestRedis {
  /** `redis://…` URL of the server (with the password, if any). */
  readonly url: string;
  /** `unix://…` URL, when started with `unixSocket`. */
  readonly socketUrl: string | undefined;
  readonly port: number;
  readonly dir: string;
  /** A client for test assertions (inspecting keys), separate from the code under test. */
  readonly client: Redis;
  flush(): Promise<void>;
  /** Kills the server process (SIGKILL) without cleaning up: a crash. */
  crash(): Promise<void>;
  /** Starts the server again on the same port and socket. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.on('error', (error) => reject(new Error(`cannot start redis-server: ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
}

/**
 * Starts a private redis-server on a free port in a fresh temp dir, never the machine's shared one.
 * Nothing is persisted; `stop()` removes the dir.
 */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'tt-redis-'));
  const port = await freePort();
  const socketPath = options.unixSocket ? join(dir, 'redis.sock') : undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    // notice level prints the "Ready to accept connections" line we wait for.
    '--loglevel',
    'notice',
    '--logfile',
    '',
  ];
  if (socketPath) args.push('--unixsocket', socketPath, '--unixsocketperm', '700');
  if (options.password !== undefined) args.push('--requirepass', options.password);

  let child = await launch(args);
  const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  const socketUrl = socketPath ? `unix://${auth}${socketPath}` : undefined;
  const client = new Redis(port, '127.0.0.1', {
    password: options.password,
    lazyConnect: false,
    maxRetriesPerRequest: null,
  });
  // Tests crash and restart the server on purpose; the client reconnects by itself.
  client.on('error', () => {});

  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  return {
    url,
    socketUrl,
    port,
    dir,
    client,
    flush: async () => {
      await client.flushall();
    },
    crash: kill,
    restart: async () => {
      child = await launch(args);
    },
    stop: async () => {
      client.disconnect();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
