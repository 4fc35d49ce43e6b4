import { TinytownError } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import type { FastifyRequest } from 'fastify';
import type { App, RouteClass } from '../context.js';
import { HttpProblem } from '../problem.js';

/** Budget names accepted in `[townhall] rate_limits` (requests per window per client). */
export const RATE_CLASSES = ['probe', 'read', 'write', 'manage', 'auth'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

/** What each budget counts, as a 429 says it. */
const RATE_CLASS_NOUNS: Readonly<Record<RateClass, string>> = {
  probe: 'probe requests',
  read: 'read requests',
  write: 'write requests',
  manage: 'manage requests',
  auth: 'requests with an unknown API key from this address',
};

export const DEFAULT_RATE_LIMITS: Readonly<Record<RateClass, number>> = {
  probe: 0,
  read: 1200,
  write: 600,
  manage: 120,
  auth: 30,
};

export interface RateLimitOptions {
  /** Requests per window per client, by class; 0 turns a class's limit off. */
  limits?: Readonly<Record<string, number>>;
  windowMs?: number;
}

export function resolveLimits(configured: Readonly<Record<string, number>> = {}): Record<RateClass, number> {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const [name, value] of Object.entries(configured)) {
    if (!(RATE_CLASSES as readonly string[]).includes(name)) {
      throw new TinytownError(
        'CONFIG_INVALID',
        `townhall.rate_limits.${name}: unknown class (use ${RATE_CLASSES.join(', ')})`,
        { field: `townhall.rate_limits.${name}` },
      );
    }
    limits[name as RateClass] = value;
  }
  return limits;
}

/**
 * Fixed-window limits counted in Redis through the store, so every townhall replica on the town's
 * Redis spends from the same budget. A client is its API key's name, or its address without auth.
 */
export class RateLimiter {
  readonly limits: Record<RateClass, number>;
  readonly windowMs: number;

  constructor(
    private readonly town: Town,
    options: RateLimitOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Counts the request against `bucket`; throws a 429 problem when the budget is spent. */
  async enforce(request: FastifyRequest, rateClass: RateClass, bucket: string): Promise<void> {
    const limit = this.limits[rateClass];
    if (!limit) return;
    let outcome: Awaited<ReturnType<Town['probes']['hit']>>;
    try {
      outcome = await this.town.probes.hit(bucket, limit, this.windowMs);
    } catch (error) {
      // Without Redis the request fails on its own; the limiter does not add a second failure.
      request.log.warn({ err: error }, 'rate limit not checked');
      return;
    }
    const resetSecs = Math.max(1, Math.ceil(outcome.resetMs / 1000));
    const headers = {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(outcome.remaining),
      'ratelimit-reset': String(resetSecs),
    };
    if (!outcome.allowed) {
      throw new HttpProblem(
        429,
        'RATE_LIMITED',
        `Too many ${RATE_CLASS_NOUNS[rateClass]}: ${limit} per ${Math.round(this.windowMs / 1000)} s; retry in ${resetSecs} s`,
        { ...headers, 'retry-after': String(resetSecs) },
      );
    }
    if (rateClass !== 'auth') request.rateLimitHeaders = headers;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    rateLimitHeaders?: Record<string, string>;
  }
}

export function registerRateLimit(app: App, limiter: RateLimiter): void {
  app.addHook('onRequest', async (request, reply) => {
    const routeClass: RouteClass = request.routeOptions.config.routeClass ?? 'probe';
    if (!request.routeOptions.url) return;
    const client =
      request.principal && request.principal.name !== 'local'
        ? `key:${request.principal.name}`
        : `ip:${request.ip}`;
    await limiter.enforce(request, routeClass, `${routeClass}:${client}`);
    if (request.rateLimitHeaders) reply.headers(request.rateLimitHeaders);
  });
}
