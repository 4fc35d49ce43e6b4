import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { plural, TinytownError } from '@tinytown/core';
import { type LocalRedis, redactRedisUrl, startLocalRedis, stopLocalRedis, Town } from '@tinytown/store';
import type { Command } from 'commander';
import { act, examples } from '../action.js';
import type { CliContext } from '../context.js';
import { parsePositiveInt } from '../context.js';
import type { Colour } from '../output.js';
import { isAlive, readPid, removePidFile, stopAgentProcesses, townPaths } from '../processes.js';
import { createLogLineFormatter } from '../service-log.js';

/** The built bin of a workspace app, if it has been built. */
export function resolveAppBin(pkg: string, bin: string): string | undefined {
  try {
    const manifestPath = fileURLToPath(import.meta.resolve(`${pkg}/package.json`));
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      bin?: Record<string, string> | string;
    };
    const relative = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
    if (!relative) return undefined;
    const path = join(dirname(manifestPath), relative);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

interface Service {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function waitForHealth(url: string, timeoutMs: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  return false;
}

async function stopChild(service: Service, graceMs: number): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
}

/**
 * The whole town in the foreground: its Redis (the embedded redis-server unless REDIS_URL or `[redis] url`
 * points elsewhere), townhall and the worker, each with prefixed logs. SIGINT, SIGTERM or SIGHUP stops the
 * whole town and leaves nothing running: its agent processes, townhall, the worker and its local Redis (also
 * one that was running before, as `tt init` leaves it); so does townhall or the worker exiting by itself,
 * and then `tt up` fails (exit 1).
 */
interface UpOptions {
  port?: string;
  townhall: boolean;
  worker: boolean;
  rawLogs?: boolean;
}

function parsePort(value: string): number {
  const port = parsePositiveInt(value, 'port');
  if (port > 65535)
    throw new TinytownError('INVALID_INPUT', `port: expected 1-65535, got '${value}'`, {
      field: 'port',
      usage: true,
    });
  return port;
}

async function up(ctx: CliContext, opts: UpOptions): Promise<void> {
  const out = ctx.out;
  const loaded = ctx.config;
  const root = loaded.root;
  const paths = townPaths(root);
  // A wrong command line is refused before anything has started.
  const port = opts.port ? parsePort(opts.port) : (loaded.config.townhall?.rest_port ?? 8080);
  mkdirSync(paths.stateDir, { recursive: true });
  const running = readPid(paths.upPidFile);
  if (running !== undefined && running !== process.pid && isAlive(running)) {
    throw new TinytownError(
      'INVALID_TRANSITION',
      `tt up is already running for this town (pid ${running}); 'tt down' stops it`,
    );
  }
  writeFileSync(paths.upPidFile, `${process.pid}\n`);
  const colours: Record<string, Colour> = { tt: 'bold', redis: 'red', townhall: 'cyan', worker: 'green' };
  // After SIGHUP the terminal is gone: writing to it would fail (EIO) in the middle of the shutdown.
  let terminalGone = false;
  const say = (who: string, text: string) => {
    if (!terminalGone) {
      process.stdout.write(`${out.paint(colours[who] ?? 'yellow', `[${who}]`.padEnd(11))}${text}\n`);
    }
  };

  let stopping = false;
  /** Why the town stopped when no one asked it to: a service that exited by itself. */
  let failure: string | undefined;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  // SIGHUP too: a closed terminal or a dropped SSH session stops the town as Ctrl-C does, instead of
  // leaving its Redis and agents running without the tt up that would have stopped them.
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') terminalGone = true;
    if (stopping) return;
    stopping = true;
    say('tt', `${signal}: stopping the town`);
    wake();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  let redis: LocalRedis | undefined;
  const services: Service[] = [];
  try {
    const redisUrl = loaded.redisUrl;
    if (ctx.usesLocalRedis) {
      const end = out.progress('Starting redis-server');
      try {
        // Its own process group: a terminal's Ctrl-C must not stop Redis before the agents have returned
        // their work; it is stopped last, below.
        redis = await startLocalRedis(root, { socketPath: loaded.config.redis.socket_path, detached: true });
      } finally {
        end();
      }
      say(
        'redis',
        `${redis.started ? 'started' : 'already running'} on ${redisUrl} (append-only file in .tt/redis/)`,
      );
    } else {
      say('redis', `using ${redactRedisUrl(redisUrl)}`);
    }
    // Fail now, with a clear message, if the server cannot be reached.
    const probe = await Town.connect({ url: redisUrl, town: loaded.config.name, maxRetriesPerRequest: 1 });
    await probe.close();

    const env = { ...process.env, REDIS_URL: redisUrl, TT_TOWN: root };
    const start = (name: string, bin: string, args: string[]) => {
      const child = spawn(process.execPath, [bin, ...args], {
        cwd: root,
        env,
        // The IPC channel only tells the service when tt up is gone without stopping it (SIGKILL).
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: the terminal's signals reach tt up alone, which stops each service in
        // turn (agents first, Redis last) rather than all at once.
        detached: true,
      });
      const format = opts.rawLogs ? (line: string) => line : createLogLineFormatter();
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          const shown = format(line);
          if (shown !== undefined) say(name, shown);
        });
      }
      const exited = new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          if (!stopping) {
            // As Ctrl-C does: a town without its townhall or worker is not the town 'tt up' runs, and
            // a service that cannot start (its port taken, say) must not leave the rest running on.
            const how = signal ?? `code ${code}`;
            say(name, `exited (${how})`);
            say('tt', `${name} exited: stopping the town`);
            failure = `${name} exited (${how}), so tt up stopped the town; its log above says why`;
            stopping = true;
            wake();
          }
          resolve();
        }),
      );
      child.once('error', (error) => say(name, `could not start: ${error.message}`));
      const service = { name, child, exited };
      services.push(service);
      return service;
    };

    const bind = loaded.config.townhall?.bind ?? '127.0.0.1';
    let healthy: Promise<void> = Promise.resolve();
    if (opts.townhall) {
      const bin = resolveAppBin('@tinytown/townhall', 'townhall');
      if (bin) {
        const service = start('townhall', bin, ['rest', '--town', root, '--port', String(port)]);
        const host = bind === '0.0.0.0' ? '127.0.0.1' : bind;
        // Townhall announces its own address once it listens; this only speaks up when it never does.
        healthy = waitForHealth(`http://${host}:${port}/health`, 15_000, service.child).then((answered) => {
          const running = service.child.exitCode === null && service.child.signalCode === null;
          if (!answered && running && !stopping)
            say('townhall', `http://${host}:${port}/health did not answer within 15 s`);
        });
      } else {
        say('townhall', "not built: skipped (run 'pnpm build')");
      }
    }
    if (opts.worker) {
      const bin = resolveAppBin('@tinytown/worker', 'tinytown-worker');
      // Its /health and /metrics on a free port (its log line names it): the worker's fixed default,
      // 9464, is taken as soon as a second town on this machine is up, and the worker would exit.
      if (bin) start('worker', bin, ['--town', root, '--metrics-port', '0']);
      else
        say(
          'worker',
          "not built: skipped (run 'pnpm build'); 'tt recover' returns dead agents' work meanwhile",
        );
    }
    // The town is up once townhall answers (or has had its chance to), not merely once it was started.
    await Promise.race([healthy, stopped]);
    if (!stopping) {
      say(
        'tt',
        `town '${loaded.config.name}' is up; Ctrl-C stops it. In another terminal: tt --town ${root} spawn <name>`,
      );
      await stopped;
    }
    if (failure) throw new TinytownError('INVALID_TRANSITION', failure);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    // Agents first (their rounds return work to Redis), then the services, then Redis itself.
    const loops = await stopAgentProcesses(root);
    if (loops > 0) say('tt', `stopped ${plural(loops, 'agent process', 'agent processes')}`);
    await Promise.all(services.map((service) => stopChild(service, 5_000)));
    for (const service of services) say(service.name, 'stopped');
    if (redis) {
      await stopLocalRedis(root, { socketPath: loaded.config.redis.socket_path });
      say('redis', 'stopped');
    }
    removePidFile(paths.upPidFile);
  }
}

export function registerUpCommand(program: Command): void {
  examples(
    program
      .command('up')
      .description('Run the whole town in the foreground: Redis, townhall and the worker (Ctrl-C stops all)')
      .option('-p, --port <port>', 'townhall REST port (default: [townhall] rest_port or 8080)')
      .option('--no-townhall', 'do not start townhall')
      .option('--no-worker', 'do not start the worker')
      .option('--raw-logs', 'print the services’ logs as they write them (townhall: JSON lines)')
      .action(
        act(async (ctx, opts: UpOptions) => {
          if (ctx.out.json)
            throw new TinytownError(
              'INVALID_INPUT',
              'up runs in the foreground and prints logs; --json does not apply',
              { usage: true },
            );
          await up(ctx, opts);
        }),
      ),
    'tt up',
    'tt up --port 8181 --no-worker',
    'tt up --raw-logs | tee town.log',
    'REDIS_URL=redis://10.0.0.5:6379 tt up',
  );
}
