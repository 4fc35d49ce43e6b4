import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dispatcher, type DispatcherPassResult, type Forge, type HelpPolicy } from '@tinytown/mission';
import { evictionAdvice, type Town } from '@tinytown/store';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface WorkerOptions {
  town: Town;
  /** What PR watches are checked against, as the Dispatcher's; without one their checks fail and back off. */
  forge?: Forge | null;
  id?: string;
  /** Pause between dispatcher passes. Default 5 s. */
  intervalMs?: number;
  leaseMs?: number;
  /** Port of the health and metrics server; 0 picks a free one. Default 9464. */
  metricsPort?: number;
  metricsHost?: string;
  help?: Partial<HelpPolicy>;
  /** Only this mission's id, ticked every pass whether due or not (see DispatcherOptions.mission). */
  mission?: string;
  log?: (line: string) => void;
}

function dispatcherErrorLine(error: unknown, missionId: string | null): string {
  return `tinytown-worker: ${missionId ? `mission ${missionId}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
}

/** Stopping an agent is worth a line: otherwise it just looks gone, with nobody saying why. */
function logReaped(pass: DispatcherPassResult, log: (line: string) => void): void {
  for (const name of pass.reaped) {
    log(
      `tinytown-worker: agent ${name} stopped: its lease ran out (no heartbeat); its queued work waits for 'tt restart ${name}' or 'tt reclaim'`,
    );
  }
}

/**
 * One dispatcher pass, then out: for cron, scripts and a look at what the dispatcher would do now. The
 * leases it took are released before it returns. Returns a line saying what the pass did, and how many
 * missions failed their tick.
 */
export async function runOnePass(
  options: Pick<WorkerOptions, 'town' | 'forge' | 'id' | 'leaseMs' | 'help' | 'mission' | 'log'>,
): Promise<{ summary: string; failed: number }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dispatcher = new Dispatcher({
    town: options.town,
    forge: options.forge,
    id: options.id,
    leaseMs: options.leaseMs,
    help: options.help,
    mission: options.mission,
    onError: (error, missionId) => log(dispatcherErrorLine(error, missionId)),
  });
  const pass = await dispatcher.pass();
  await dispatcher.stop();
  logReaped(pass, log);
  return {
    summary: `tinytown-worker: one pass over ${options.mission ? `mission ${options.mission} of ` : ''}town ${options.town.name} in ${pass.durationMs} ms: missions due ${pass.due}, ticked ${pass.ticked.length}, held by another worker ${pass.skipped}, failed ${pass.failed}; agents recovered ${pass.reaped.length}`,
    failed: pass.failed,
  };
}

export interface RunningWorker {
  readonly id: string;
  readonly dispatcher: Dispatcher;
  /** `http://host:port` of the health and metrics server. */
  readonly url: string;
  readonly registry: Registry;
  /** Finishes the pass in progress, releases every mission lease, removes the heartbeat, closes the server. */
  stop(): Promise<void>;
}

function workerMetrics(registry: Registry, dispatcher: Dispatcher) {
  collectDefaultMetrics({ register: registry, prefix: 'tinytown_worker_' });
  return {
    passes: new Counter({
      name: 'tinytown_worker_passes_total',
      help: 'Dispatcher passes over the due missions.',
      registers: [registry],
    }),
    ticks: new Counter({
      name: 'tinytown_worker_ticks_total',
      help: 'Mission ticks, by outcome (ok, failed: lost its lease or errored, skipped: another replica held it).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'tinytown_worker_pass_duration_seconds',
      help: 'Duration of a dispatcher pass.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    watchChecks: new Counter({
      name: 'tinytown_worker_watch_checks_total',
      help: 'Watch checks against the forge, by result.',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    leases: new Gauge({
      name: 'tinytown_worker_leases_held',
      help: 'Mission leases this worker holds.',
      registers: [registry],
      collect() {
        this.set(dispatcher.leasesHeld);
      },
    }),
    reaped: new Counter({
      name: 'tinytown_worker_agents_reaped_total',
      help: 'Agents whose lease expired, stopped by the reaper with their work returned.',
      registers: [registry],
    }),
  };
}

/**
 * Starts a worker: the dispatcher loop (missions and watches, leases, the agent reaper), a heartbeat per
 * pass that townhall's /ready reports, and /health + /metrics on its own port.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const registry = new Registry();
  let metrics: ReturnType<typeof workerMetrics> | undefined;
  let lastPass: DispatcherPassResult | null = null;
  const town = options.town;
  // Before anything is opened, so a Redis that fails here leaves nothing behind.
  const advice = evictionAdvice(await town.probes.evictionRisk());
  if (advice) log(`tinytown-worker: ${advice.level}: ${advice.text}`);

  const onTick = (result: DispatcherPassResult) => {
    lastPass = result;
    logReaped(result, log);
    if (metrics) {
      metrics.passes.inc();
      metrics.duration.observe(result.durationMs / 1000);
      metrics.ticks.inc({ outcome: 'ok' }, result.ticked.length);
      if (result.failed > 0) metrics.ticks.inc({ outcome: 'failed' }, result.failed);
      if (result.skipped > 0) metrics.ticks.inc({ outcome: 'skipped' }, result.skipped);
      if (result.reaped.length > 0) metrics.reaped.inc(result.reaped.length);
      for (const tick of result.ticked) {
        for (const check of tick.watchChecks) metrics.watchChecks.inc({ result: check.result });
      }
    }
    town.probes.workerHeartbeat(dispatcher.id, Date.now()).catch(() => undefined);
  };
  const dispatcher = new Dispatcher({
    town,
    forge: options.forge,
    id: options.id,
    intervalMs: options.intervalMs ?? 5_000,
    leaseMs: options.leaseMs,
    help: options.help,
    mission: options.mission,
    onTick,
    onError: (error, missionId) => log(dispatcherErrorLine(error, missionId)),
  });
  metrics = workerMetrics(registry, dispatcher);

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/health' || path === '/healthz') {
      const body = JSON.stringify({
        status: 'ok',
        worker_id: dispatcher.id,
        town: town.name,
        passes: dispatcher.passes,
        last_pass_at: dispatcher.lastPassAt ? new Date(dispatcher.lastPassAt).toISOString() : null,
        last_pass_ms: lastPass ? (lastPass as DispatcherPassResult).durationMs : null,
        leases_held: dispatcher.leasesHeld,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text))
        .catch((error: unknown) => response.writeHead(500).end(String(error)));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  const metricsPort = options.metricsPort ?? 9464;
  const metricsHost = options.metricsHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      // The usual cause is a second worker on one machine, both on the default port.
      if (error.code !== 'EADDRINUSE') return reject(error);
      reject(
        new Error(
          `port ${metricsPort} on ${metricsHost} (this worker's /health and /metrics) is already in use, perhaps by another worker: give each worker its own with --metrics-port (0 picks a free one)`,
          { cause: error },
        ),
      );
    });
    server.listen(metricsPort, metricsHost, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  await town.probes.workerHeartbeat(dispatcher.id, Date.now());
  dispatcher.start();

  let stopping: Promise<void> | null = null;
  return {
    id: dispatcher.id,
    dispatcher,
    url: `http://${host}:${address.port}`,
    registry,
    stop() {
      stopping ??= (async () => {
        await dispatcher.stop();
        await town.probes.workerGone(dispatcher.id).catch(() => undefined);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
