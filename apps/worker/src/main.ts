#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createGitHubForge } from '@tinytown/mission';
import { loadTownConfig, Town } from '@tinytown/store';
import { runOnePass, startWorker } from './worker.js';

const HELP = `tinytown-worker - the mission dispatcher, watches and the agent lease reaper

Usage:
  tinytown-worker [--town <dir>] [--interval <secs>] [--metrics-port <port>] [--metrics-host <addr>]
                  [--lease <secs>] [--id <name>] [--mission <id>] [--once]

--town          Town directory (tinytown.toml; or TINYTOWN_TOWN and REDIS_URL with no file). Default: .
--interval      Seconds between dispatcher passes. Default: 5
--metrics-port  Port of /health and /metrics (0 picks a free one; workers sharing a machine each
                need their own). Default: TINYTOWN_WORKER_METRICS_PORT, else 9464
--metrics-host  Address to bind them to (0.0.0.0 in a container, for probes and scrapers).
                Default: TINYTOWN_WORKER_METRICS_HOST, else 127.0.0.1
--lease         Seconds a mission lease lasts without renewal. Default: 30
--id            This worker's id, as its /health and the mission leases it holds show it.
                Default: dispatcher-<8 random hex digits>
--mission       Only this mission (its id, or its first 4+ characters), ticked every pass even when
                not due; other missions are left to other workers
--once          Run one dispatcher pass, print what it did, and exit (1 if a mission's tick failed)

Environment: TINYTOWN_TOWN and REDIS_URL (the town, with no tinytown.toml; REDIS_URL always wins),
GITHUB_TOKEN (token), GITHUB_API_URL (base URL, e.g. https://ghe.example.com/api/v3).
Any number of workers may run over one town: missions spread over them, nothing runs twice.
Signals: SIGTERM/SIGINT finish the current pass, release leases, exit 0 (exit 1 after 10 s
if the pass cannot finish, e.g. while Redis is down; its leases then lapse on their own).
`;

const METRICS_PORT_ENV = 'TINYTOWN_WORKER_METRICS_PORT';
const METRICS_HOST_ENV = 'TINYTOWN_WORKER_METRICS_HOST';

/** How long SIGTERM/SIGINT wait for the current pass before the worker exits anyway (1). */
const SHUTDOWN_DEADLINE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`tinytown-worker: ${message}\n`);
  process.exit(2);
}

function seconds(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) fail(`${name} must be a number of at least ${min}`);
  return parsed;
}

/** The environment's value for a flag (containers), or undefined when unset or blank. */
function fromEnv(name: string): string | undefined {
  return process.env[name]?.trim() || undefined;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: {
        town: { type: 'string' },
        interval: { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        lease: { type: 'string' },
        id: { type: 'string' },
        mission: { type: 'string' },
        once: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}; see 'tinytown-worker --help'`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const intervalSecs = seconds(str('interval'), '--interval', 5, 0.05);
  const leaseSecs = seconds(str('lease'), '--lease', 30, 1);
  const portSource = str('metrics-port') !== undefined ? '--metrics-port' : METRICS_PORT_ENV;
  const port = seconds(str('metrics-port') ?? fromEnv(METRICS_PORT_ENV), portSource, 9464, 0);
  if (!Number.isInteger(port) || port > 65535) fail(`${portSource} must be a port number`);
  const metricsHost = str('metrics-host') ?? fromEnv(METRICS_HOST_ENV) ?? '127.0.0.1';

  const loaded = loadTownConfig(str('town') ?? process.cwd());
  const town = await Town.connect({
    url: loaded.redisUrl,
    town: loaded.config.name,
    connectionName: 'tinytown-worker',
    // Passes wait for the reconnect meanwhile; without these an outage would pass in silence.
    onConnectionLost: (reason) =>
      process.stderr.write(`tinytown-worker: lost Redis (${reason}); reconnecting, passes wait meanwhile\n`),
    onConnectionRestored: (downMs) =>
      process.stderr.write(`tinytown-worker: Redis is back after ${(downMs / 1000).toFixed(1)} s\n`),
  });
  const missionRef = str('mission');
  // Checked now: a worker for a mission that does not exist would tick nothing, quietly, forever.
  const mission =
    missionRef === undefined
      ? undefined
      : (await town.missions.get(await town.missions.resolveId(missionRef))).id;
  const forge = createGitHubForge({
    token: process.env.GITHUB_TOKEN?.trim() || undefined,
    baseUrl: process.env.GITHUB_API_URL?.trim() || undefined,
  });
  if (values.once) {
    const { summary, failed } = await runOnePass({
      town,
      forge,
      id: str('id'),
      leaseMs: leaseSecs * 1000,
      mission,
    });
    process.stdout.write(`${summary}\n`);
    await town.close();
    process.exitCode = failed > 0 ? 1 : 0;
    return;
  }
  const worker = await startWorker({
    town,
    forge,
    id: str('id'),
    intervalMs: intervalSecs * 1000,
    leaseMs: leaseSecs * 1000,
    metricsPort: port,
    metricsHost,
    mission,
  });
  // Before the ready line: a SIGTERM as soon as the worker says it is ready still stops it gracefully.
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    process.stdout.write(`tinytown-worker: ${signal}, finishing the current pass\n`);
    // A pass waits for Redis while it is down; a stop must not (an orchestrator kills it anyway).
    const deadline = setTimeout(() => {
      process.stderr.write(
        `tinytown-worker: the current pass did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s (is Redis reachable?); exiting without releasing its mission leases, which lapse within ${leaseSecs} s\n`,
      );
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    worker
      .stop()
      .then(() => town.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`tinytown-worker: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.stdout.write(
    `tinytown-worker ${worker.id} ready at ${worker.url} (town ${town.name}${mission ? `, mission ${mission} only` : ''}, ${town.redactedUrl}, every ${intervalSecs}s)\n`,
  );
  // Started by `tt up`, the worker holds an IPC channel to it: should tt up die without stopping it
  // (SIGKILL, a crash), the channel closes and the worker stops as on SIGTERM instead of running on unseen.
  // `process.send` marks a channel even after it closed (`process.channel` is null by then).
  if (typeof process.send === 'function') {
    process.channel?.unref();
    // It may have gone while the worker was starting, before anyone listened.
    if (process.connected) process.once('disconnect', () => shutdown('tt up is gone'));
    else shutdown('tt up is gone');
  }
}

// `… | head` closes the pipe early: the reader is done, which is no failure worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main().catch((error: unknown) => {
  process.stderr.write(`tinytown-worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
