import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
 * event loop. Every run is preceded by a one-second warm-up. The hello world is measured before and
 * after the townhall runs and the anchor is their mean, so drift on a shared machine shows. The rate
 * limiter is off for the run: with it each request also pays one Redis round trip for its budget.
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

export async function runRestBench(log: (line: string) => void = console.log): Promise<Row[]> {
  const redis = await startTestRedis();
  const servers: ServerProcess[] = [];
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

    const anchors: Measure[] = [];
    const helloRun = async (when: string) => {
      log(`hello world ${when}, ${CONNECTIONS} connections, ${DURATION_SECS} s…`);
      const anchor = await measure({ url: hello.url });
      log(`  ${anchor.rps.toFixed(0)} req/s, p99 ${anchor.p99} ms`);
      anchors.push(anchor);
    };
    await helloRun('before');
    const runs: [string, Measure, number][] = [];
    for (const [figure, target, ratio] of [
      [`GET /v1/agents (${AGENTS} agents)`, { url: `${hall.url}/v1/agents` }, 0.5],
      [
        'POST /v1/messages/send',
        {
          url: `${hall.url}/v1/messages/send`,
          method: 'POST',
          body: { to: 'agent-0', message: 'bench ping' },
        },
        0.35,
      ],
      [
        'POST /v1/tasks/assign',
        {
          url: `${hall.url}/v1/tasks/assign`,
          method: 'POST',
          body: { agent: 'agent-1', task: 'bench task' },
        },
        0.35,
      ],
    ] as const) {
      log(`${figure}…`);
      const measured = await measure(target);
      log(`  ${measured.rps.toFixed(0)} req/s, p99 ${measured.p99} ms, ${measured.errors} errors`);
      if (measured.errors > 0) throw new Error(`${figure}: ${measured.errors} failed requests`);
      runs.push([figure, measured, ratio]);
    }
    await helloRun('after');
    const anchor = {
      rps: anchors.reduce((sum, run) => sum + run.rps, 0) / anchors.length,
      p99: anchors.reduce((sum, run) => sum + run.p99, 0) / anchors.length,
    };

    const rows: Row[] = [];
    for (const [figure, measured, target] of runs) {
      rows.push({
        scenario: 'rest',
        figure: `${figure} req/s`,
        value: measured.rps,
        anchor: 'Fastify hello world req/s',
        anchorValue: anchor.rps,
        unit: '/s',
        better: 'higher',
        target,
      });
      rows.push({
        scenario: 'rest',
        figure: `${figure} p99`,
        value: measured.p99,
        anchor: 'Fastify hello world p99',
        anchorValue: Math.max(anchor.p99, 0.001),
        unit: 'ms',
        better: 'lower',
        target: null,
        note: `${figure}: p99 ${measured.p99} ms at ${CONNECTIONS} connections (target < ${P99_LIMIT_MS} ms: ${measured.p99 < P99_LIMIT_MS ? 'met' : 'MISSED'})`,
      });
    }
    rows[0] = {
      ...(rows[0] as Row),
      note: `hello world: ${anchors.map((run) => `${run.rps.toFixed(0)} req/s`).join(' before, ')} after; the anchor is their mean`,
    };
    return rows;
  } finally {
    for (const server of servers) await server.stop();
    await redis.stop();
  }
}

export const restThroughput: Scenario = {
  name: 'rest',
  title: 'townhall REST vs bare Fastify hello world (each server in its own process)',
  run: runRestBench,
};
