import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Town } from '@tinytown/store';
import { startTestRedis } from '@tinytown/testkit';
import autocannon from 'autocannon';
import type { Row, Scenario } from './scenario.js';

/**
 * Townhall REST throughput: autocannon (50 connections) against GET /v1/agents with 100 agents,
 * POST /v1/messages/send and POST /v1/tasks/assign on a real townhall over a private redis-server,
 * beside a bare Fastify hello world measured in the same run on the same machine. Each server runs in
 * its own process (src/rest-server.ts), as it would when deployed, so autocannon does not share its
 * event loop. Every run is preceded by a one-second warm-up. Hello world runs between the townhall runs
 * and each figure's anchor is the mean of the two on either side of it: on a shared machine the speed
 * drifts by half within a minute, and a single anchor for the whole run would compare unlike moments.
 * The listing is also set beside a bare Fastify sending the same bytes on every request (no Redis,
 * nothing to build), measured right after it: that shows what the body alone costs client and server
 * on this machine. The rate limiter is off for the run: with it each request also pays one Redis round
 * trip for its budget.
 */

const CONNECTIONS = 50;
const DURATION_SECS = Number(process.env.BENCH_REST_SECS ?? 5);
const WARMUP_SECS = 1;
const AGENTS = 100;
const P99_LIMIT_MS = 20;
const TOWN = 'bench-rest';

interface Measure {
  rps: number;
  p99: number;
  errors: number;
}

interface Target {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
}

async function hammer(target: Target, seconds: number): Promise<Measure> {
  const result = await autocannon({
    url: target.url,
    connections: CONNECTIONS,
    duration: seconds,
    method: target.method ?? 'GET',
    ...(target.body !== undefined
      ? { body: JSON.stringify(target.body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function measure(target: Target): Promise<Measure> {
  await hammer(target, WARMUP_SECS);
  return hammer(target, DURATION_SECS);
}

interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts `rest-server.ts` with `args` in a child process and waits for the URL it listens on. */
async function startServer(args: string[]): Promise<ServerProcess> {
  const entry = fileURLToPath(new URL('./rest-server.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^listening (\S+)$/m.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`rest-server ${args[0]} exited with ${code} before listening`)),
    );
    child.once('error', reject);
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

interface Figure {
  name: string;
  target: Target;
  /** The share of hello world's requests per second it must reach. */
  ratio: number;
}

/** The anchor for a figure: the two hello world runs on either side of it, averaged. */
function around(before: Measure, after: Measure): Measure {
  return {
    rps: (before.rps + after.rps) / 2,
    p99: (before.p99 + after.p99) / 2,
    errors: before.errors + after.errors,
  };
}

export async function runRestBench(log: (line: string) => void = console.log): Promise<Row[]> {
  const redis = await startTestRedis();
  const servers: ServerProcess[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'tinytown-bench-'));
  try {
    const town = await Town.connect({ url: redis.url, town: TOWN });
    try {
      for (let i = 0; i < AGENTS; i++) await town.agents.register({ name: `agent-${i}`, cli: 'bench' });
    } finally {
      await town.close();
    }
    const hello = await startServer(['hello']);
    servers.push(hello);
    const hall = await startServer(['townhall', redis.url, TOWN]);
    servers.push(hall);
    const listing = Buffer.from(await (await fetch(`${hall.url}/v1/agents`)).arrayBuffer());
    const listingFile = join(scratch, 'agents.json');
    await writeFile(listingFile, listing);
    const sameBody = await startServer(['static', listingFile]);
    servers.push(sameBody);

    const run = async (label: string, target: Target): Promise<Measure> => {
      log(`${label}…`);
      const measured = await measure(target);
      log(`  ${measured.rps.toFixed(0)} req/s, p99 ${measured.p99} ms, ${measured.errors} errors`);
      if (measured.errors > 0) throw new Error(`${label}: ${measured.errors} failed requests`);
      return measured;
    };
    const helloRun = () =>
      run(`hello world, ${CONNECTIONS} connections, ${DURATION_SECS} s`, { url: hello.url });

    const figures: Figure[] = [
      { name: `GET /v1/agents (${AGENTS} agents)`, target: { url: `${hall.url}/v1/agents` }, ratio: 0.5 },
      {
        name: 'POST /v1/messages/send',
        target: {
          url: `${hall.url}/v1/messages/send`,
          method: 'POST',
          body: { to: 'agent-0', message: 'bench ping' },
        },
        ratio: 0.35,
      },
      {
        name: 'POST /v1/tasks/assign',
        target: {
          url: `${hall.url}/v1/tasks/assign`,
          method: 'POST',
          body: { agent: 'agent-1', task: 'bench task' },
        },
        ratio: 0.35,
      },
    ];
    const rows: Row[] = [];
    let before = await helloRun();
    for (const figure of figures) {
      const measured = await run(figure.name, figure.target);
      const sameBodyRun =
        figure === figures[0]
          ? await run(`bare Fastify sending the same ${listing.length} bytes`, { url: sameBody.url })
          : undefined;
      const after = await helloRun();
      const anchor = around(before, after);
      before = after;
      rows.push({
        scenario: 'rest',
        figure: `${figure.name} req/s`,
        value: measured.rps,
        anchor: 'Fastify hello world req/s',
        anchorValue: anchor.rps,
        unit: '/s',
        better: 'higher',
        target: figure.ratio,
        note: `${figure.name}: hello world ran at ${anchor.rps.toFixed(0)} req/s on average just before and after it`,
      });
      rows.push({
        scenario: 'rest',
        figure: `${figure.name} p99`,
        value: measured.p99,
        anchor: 'Fastify hello world p99',
        anchorValue: Math.max(anchor.p99, 0.001),
        unit: 'ms',
        better: 'lower',
        target: null,
        note: `${figure.name}: p99 ${measured.p99} ms at ${CONNECTIONS} connections (target < ${P99_LIMIT_MS} ms: ${measured.p99 < P99_LIMIT_MS ? 'met' : 'MISSED'})`,
      });
      if (sameBodyRun) {
        rows.push({
          scenario: 'rest',
          figure: `${figure.name} req/s`,
          value: measured.rps,
          anchor: 'Fastify sending the same body req/s',
          anchorValue: sameBodyRun.rps,
          unit: '/s',
          better: 'higher',
          target: null,
          note: `the listing is ${listing.length} bytes: what sending it alone costs client and server here (p99 ${sameBodyRun.p99} ms)`,
        });
      }
    }
    return rows;
  } finally {
    for (const server of servers) await server.stop();
    await redis.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

export const restThroughput: Scenario = {
  name: 'rest',
  title: 'townhall REST vs bare Fastify hello world (each server in its own process)',
  run: runRestBench,
};
