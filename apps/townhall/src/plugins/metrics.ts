import type { AgentState } from '@tinytown/core';
import { AGENT_STATES } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { App } from '../context.js';

/** A snapshot of the town for one scrape. */
export interface TownSnapshot {
  latencyMs: number;
  agentsByState: Partial<Record<AgentState, number>>;
  backlog: number;
  assigned: number;
  completed: number;
  urgentMessages: number;
  missionsActive: number;
}

/**
 * Townhall's own prom-client registry (never the global one, so several servers can live in one
 * process): the tinytown families, HTTP request durations and Node process metrics.
 */
export class TownhallMetrics {
  readonly registry = new Registry();
  private readonly up: Gauge;
  private readonly ready: Gauge;
  private readonly agents: Gauge<'state'>;
  private readonly tasksPending: Gauge;
  private readonly tasksCompleted: Counter;
  private readonly missionsActive: Gauge;
  private readonly redisLatency: Gauge;
  private readonly backlog: Gauge;
  private readonly assignedPending: Gauge;
  private readonly urgent: Gauge;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.up = new Gauge({ name: 'tinytown_up', help: 'Whether the townhall process is running.', registers });
    this.ready = new Gauge({
      name: 'tinytown_ready',
      help: 'Whether townhall can reach the town’s Redis (1) or not (0).',
      registers,
    });
    this.agents = new Gauge({
      name: 'tinytown_agents_total',
      help: 'Agents by state.',
      labelNames: ['state'],
      registers,
    });
    this.tasksPending = new Gauge({
      name: 'tinytown_tasks_pending',
      help: 'Queued tasks: the backlog plus tasks assigned and not started.',
      registers,
    });
    this.tasksCompleted = new Counter({
      name: 'tinytown_tasks_completed_total',
      help: 'Completed task records in the town.',
      registers,
    });
    this.missionsActive = new Gauge({
      name: 'tinytown_missions_active',
      help: 'Active missions.',
      registers,
    });
    this.redisLatency = new Gauge({
      name: 'tinytown_redis_latency_seconds',
      help: 'Redis round trip measured by this scrape.',
      registers,
    });
    this.backlog = new Gauge({
      name: 'tinytown_backlog_tasks',
      help: 'Tasks in the global backlog.',
      registers,
    });
    this.assignedPending = new Gauge({
      name: 'tinytown_tasks_assigned_pending',
      help: 'Tasks assigned to an agent and not started yet.',
      registers,
    });
    this.urgent = new Gauge({
      name: 'tinytown_urgent_messages',
      help: 'Messages waiting in urgent inboxes across agents.',
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'tinytown_http_request_duration_seconds',
      help: 'Townhall HTTP request duration by route and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.up.set(1);
  }

  static async snapshot(town: Town, missionsActive: () => Promise<number>): Promise<TownSnapshot> {
    const latencyMs = await town.probes.ping();
    const [agents, counts, missions] = await Promise.all([
      town.agents.list(),
      town.probes.counts(),
      missionsActive(),
    ]);
    const agentsByState: Partial<Record<AgentState, number>> = {};
    let urgentMessages = 0;
    for (const agent of agents) {
      agentsByState[agent.state] = (agentsByState[agent.state] ?? 0) + 1;
      urgentMessages += agent.urgent_len;
    }
    return {
      latencyMs,
      agentsByState,
      backlog: counts.backlog,
      assigned: counts.assigned,
      completed: counts.completed,
      urgentMessages,
      missionsActive: missions,
    };
  }

  /** Sets the town families from a snapshot, or zeroes them with tinytown_ready 0 when there is none. */
  apply(snapshot: TownSnapshot | undefined): void {
    this.ready.set(snapshot ? 1 : 0);
    this.agents.reset();
    for (const state of AGENT_STATES) {
      const count = snapshot?.agentsByState[state];
      if (count) this.agents.set({ state }, count);
    }
    this.tasksPending.set(snapshot ? snapshot.backlog + snapshot.assigned : 0);
    this.tasksCompleted.reset();
    if (snapshot?.completed) this.tasksCompleted.inc(snapshot.completed);
    this.missionsActive.set(snapshot?.missionsActive ?? 0);
    this.redisLatency.set(snapshot ? snapshot.latencyMs / 1000 : 0);
    this.backlog.set(snapshot?.backlog ?? 0);
    this.assignedPending.set(snapshot?.assigned ?? 0);
    this.urgent.set(snapshot?.urgentMessages ?? 0);
  }
}

/** Observes every response's duration under its route pattern (unknown routes share one label). */
export function registerHttpMetrics(app: App, metrics: TownhallMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
