import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope, TownConfig } from '@tinytown/core';
import type { MissionService } from '@tinytown/mission';
import type { Town } from '@tinytown/store';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { TownhallMetrics } from './plugins/metrics.js';

/** The Fastify instance townhall builds, with zod as its type provider. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * Which budget a route spends from: probes, reads, writes (tasks, backlog, messages, mission start/resume/
 * updates/notes) or management (agent lifecycle, recovery, mission stop/complete/fail/delete).
 */
export type RouteClass = 'probe' | 'read' | 'write' | 'manage';

/** What every route group gets: the town facade, the settings and the shared helpers. */
export interface RouteDeps {
  town: Town;
  config: TownConfig;
  settings: TownhallSettings;
  /** The town directory (for `/v1/town`). */
  root: string;
  metrics: TownhallMetrics;
  startedAt: number;
  /** Number of active missions (for `/metrics`). */
  missionsActive: () => Promise<number>;
  /** The mission operations (start, status, stop/resume, work items, watches, events, notes). */
  missions: MissionService;
}

export type TownhallSettings = NonNullable<TownConfig['townhall']>;

export const REQUIRED_SCOPE: Record<RouteClass, Scope | null> = {
  probe: null,
  read: 'town.read',
  write: 'town.write',
  manage: 'agent.manage',
};

export interface Principal {
  name: string;
  scopes: readonly Scope[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's class: decides the scope it needs and the rate-limit budget it spends. */
    routeClass?: RouteClass;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}
