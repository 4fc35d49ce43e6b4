import { TownConfig } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { startTestRedis } from '@tinytown/testkit';
import { buildServer } from '@tinytown/townhall';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import type { Row, Scenario } from './scenario.js';

/**
 * Townhall REST throughput: autocannon (50 connections) against GET /v1/agents with 100 agents,
 * POST /v1/messages/send and POST /v1/tasks/assign on a real townhall over a private redis-server,
 * beside a bare Fastify hello world measured in the same run on the same machine. The rate limiter
 * is off for the run (with it, each request also pays one Redis round trip for its budget).
 */

const CONNECTIONS = 50;
const DURATION_SECS = Number(process.env.BENCH_REST_SECS ?? 5);
const AGENTS = 100;
const P99_LIMIT_MS = 20;

interface Measure {
  rps: number;
  p99: number;
  errors: number;
}

async function hammer(options: { url: string; method?: 'GET' | 'POST'; body?: unknown }): Promise<Measure> {
  const result = await autocannon({
    url: options.url,
    connections: CONNECTIONS,
    duration: DURATION_SECS,
    method: options.method ?? 'GET',
    ...(options.body !== undefined
      ? { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

export async function runRestBench(log: (line: string) => void = console.log): Promise<Row[]> {
  const redis = await startTestRedis();
  const town = await Town.connect({ url: redis.url, town: 'bench-rest', autoPipelining: true }); // as townhall's own connection
  const config = TownConfig.parse({ name: 'bench-rest' });
  const hall = await buildServer({ town, config, logger: false, processMetrics: false, rateLimits: false });
  const hello = Fastify();
  hello.get('/', async () => ({ hello: 'world' }));
  try {
    for (let i = 0; i < AGENTS; i++) await town.agents.register({ name: `agent-${i}`, cli: 'bench' });
    const base = await hall.listen({ host: '127.0.0.1', port: 0 });
    const helloUrl = await hello.listen({ host: '127.0.0.1', port: 0 });

    log(`hello world, ${CONNECTIONS} connections, ${DURATION_SECS} s…`);
    const anchor = await hammer({ url: helloUrl });
    log(`  ${anchor.rps.toFixed(0)} req/s, p99 ${anchor.p99} ms`);
    const runs: [string, Measure, number][] = [];
    for (const [figure, options, target] of [
      [`GET /v1/agents (${AGENTS} agents)`, { url: `${base}/v1/agents` }, 0.5],
      [
        'POST /v1/messages/send',
        { url: `${base}/v1/messages/send`, method: 'POST', body: { to: 'agent-0', message: 'bench ping' } },
        0.35,
      ],
      [
        'POST /v1/tasks/assign',
        { url: `${base}/v1/tasks/assign`, method: 'POST', body: { agent: 'agent-1', task: 'bench task' } },
        0.35,
      ],
    ] as const) {
      log(`${figure}…`);
      const measured = await hammer(options);
      log(`  ${measured.rps.toFixed(0)} req/s, p99 ${measured.p99} ms, ${measured.errors} errors`);
      if (measured.errors > 0) throw new Error(`${figure}: ${measured.errors} failed requests`);
      runs.push([figure, measured, target]);
    }
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
    return rows;
  } finally {
    await hall.close();
    await hello.close();
    await town.close();
    await redis.stop();
  }
}

export const restThroughput: Scenario = {
  name: 'rest',
  title: 'townhall REST vs bare Fastify hello world',
  run: runRestBench,
};
