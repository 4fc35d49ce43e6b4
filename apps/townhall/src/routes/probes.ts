import { ACTIVE_AGENT_STATES, TinytownError } from '@tinytown/core';
import type { App, RouteDeps } from '../context.js';
import { sendProblem } from '../plugins/errors.js';
import { TownhallMetrics } from '../plugins/metrics.js';
import { makeProblem } from '../problem.js';
import {
  HealthResponse,
  MetricsText,
  NotReadyResponse,
  ReadyResponse,
  ScalingSignal,
} from '../schemas/probes.js';
import { problems } from './shared.js';

const PROBE_TIMEOUT_MS = 2_000;
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Probes must answer quickly even when Redis hangs: give up after a bound. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TinytownError('TIMEOUT', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/[\r\n]+/g, ' ');
}

export type Recommendation = 'scale_up' | 'steady' | 'scale_down' | 'scale_to_zero';

/** The autoscaler rule: desired = min(pending + in flight, max); the first matching rule wins. */
export function recommend(input: {
  pending: number;
  inFlight: number;
  active: number;
  maxAgents: number;
  allActiveIdle: boolean;
}): { desired: number; recommendation: Recommendation } {
  const desired = Math.min(input.pending + input.inFlight, input.maxAgents);
  let recommendation: Recommendation = 'steady';
  if (desired === 0 && input.pending === 0 && input.inFlight === 0 && input.allActiveIdle) {
    recommendation = 'scale_to_zero';
  } else if (desired > input.active) recommendation = 'scale_up';
  else if (desired < input.active && input.pending === 0) recommendation = 'scale_down';
  return { desired, recommendation };
}

export function probeRoutes(app: App, deps: RouteDeps): void {
  const { town, config, metrics, startedAt } = deps;
  // Probes are polled every few seconds by orchestrators and scrapers: their requests are not logged (two
  // info lines each would bury everything else); what goes wrong in them still is, at warn.
  const open = { config: { routeClass: 'probe' as const }, logLevel: 'warn' as const };

  const health = async () => ({
    status: 'ok' as const,
    uptime_secs: Math.floor((Date.now() - startedAt) / 1000),
  });
  for (const [url, operationId] of [
    ['/health', 'healthCheck'],
    ['/healthz', 'healthz'],
  ] as const) {
    app.get(
      url,
      {
        ...open,
        schema: {
          tags: ['Health'],
          summary: url === '/health' ? 'Liveness check' : 'Liveness check (Kubernetes alias)',
          operationId,
          security: [],
          response: { 200: HealthResponse },
        },
      },
      health,
    );
  }

  for (const [url, operationId] of [
    ['/ready', 'readinessCheck'],
    ['/readyz', 'readyz'],
  ] as const) {
    app.get(
      url,
      {
        ...open,
        schema: {
          tags: ['Health'],
          summary: url === '/ready' ? 'Readiness check' : 'Readiness check (Kubernetes alias)',
          operationId,
          security: [],
          response: { 200: ReadyResponse, 503: NotReadyResponse },
        },
      },
      async (_request, reply) => {
        try {
          const latency = await withTimeout(town.probes.ping(), PROBE_TIMEOUT_MS, 'Redis PING');
          const [dispatcher, eviction] = await withTimeout(
            Promise.all([town.probes.dispatcherState(), town.probes.evictionRisk()]),
            PROBE_TIMEOUT_MS,
            'Reading worker heartbeats and the eviction policy',
          );
          // An evicting policy is reported, not failed on: the town works until memory runs out.
          return {
            status: 'ready' as const,
            redis: 'connected' as const,
            redis_latency_ms: Math.round(latency * 1000) / 1000,
            redis_eviction_policy: eviction.policy,
            redis_eviction_safe: eviction.safe,
            dispatcher,
            town: town.name,
          };
        } catch (error) {
          return reply.code(503).send({
            status: 'not_ready' as const,
            redis: 'disconnected' as const,
            dispatcher: 'unknown' as const,
            town: town.name,
            detail: `Redis ping failed: ${message(error)}`,
          });
        }
      },
    );
  }

  app.get(
    '/metrics',
    {
      ...open,
      schema: {
        tags: ['Health'],
        summary: 'Prometheus metrics',
        operationId: 'metrics',
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition',
            content: { 'text/plain': { schema: MetricsText } },
          },
          503: {
            description: 'Redis is unreachable: every town family is zero and tinytown_ready is 0',
            content: { 'text/plain': { schema: MetricsText } },
          },
        },
      },
    },
    async (request, reply) => {
      let failure: string | undefined;
      try {
        metrics.apply(
          await withTimeout(
            TownhallMetrics.snapshot(town, deps.missionsActive),
            PROBE_TIMEOUT_MS,
            'Gathering town metrics',
          ),
        );
      } catch (error) {
        failure = message(error);
        request.log.warn({ detail: failure }, 'metrics scrape without Redis');
        metrics.apply(undefined);
      }
      const text = await metrics.registry.metrics();
      return reply
        .code(failure ? 503 : 200)
        .type(METRICS_CONTENT_TYPE)
        .serializer((payload: unknown) => String(payload))
        .send(failure ? `${text}# tinytown_metrics_error ${failure}\n` : text);
    },
  );

  app.get(
    '/api/scaling',
    {
      ...open,
      schema: {
        tags: ['Health'],
        summary: 'Autoscaler scaling signal',
        operationId: 'scalingSignal',
        security: [],
        response: { 200: ScalingSignal, ...problems() },
      },
    },
    async (request, reply) => {
      let snapshot: [
        Awaited<ReturnType<typeof town.agents.list>>,
        Awaited<ReturnType<typeof town.probes.counts>>,
      ];
      try {
        snapshot = await withTimeout(
          Promise.all([town.agents.list(), town.probes.counts()]),
          PROBE_TIMEOUT_MS,
          'Counting the town',
        );
      } catch (error) {
        return sendProblem(
          request,
          reply,
          makeProblem(503, 'REDIS_UNAVAILABLE', `Scaling signal unavailable: ${message(error)}`),
        );
      }
      const [agents, counts] = snapshot;
      const active = agents.filter((agent) => ACTIVE_AGENT_STATES.includes(agent.state));
      const idleTimeoutSecs = config.agent.idle_timeout_secs;
      const now = Date.now();
      const allActiveIdle =
        idleTimeoutSecs === 0
          ? active.length === 0
          : active.every(
              (agent) =>
                agent.state === 'idle' && now - Date.parse(agent.last_active_at) >= idleTimeoutSecs * 1000,
            );
      const pending = counts.backlog + counts.assigned;
      const inFlight = counts.running;
      const { desired, recommendation } = recommend({
        pending,
        inFlight,
        active: active.length,
        maxAgents: config.max_agents,
        allActiveIdle,
      });
      return {
        town: town.name,
        timestamp: new Date(now).toISOString(),
        queue_depth: pending + inFlight,
        pending_tasks: pending,
        in_flight_tasks: inFlight,
        active_agents: active.length,
        cold_agents: agents.filter((agent) => agent.state === 'cold').length,
        desired_agents: desired,
        max_agents: config.max_agents,
        scaling_recommendation: recommendation,
      };
    },
  );
}
