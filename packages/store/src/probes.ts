import type { StoreContext } from './context.js';
import { redisCall, toStoreError } from './errors.js';

/**
 * Whether Redis may evict the town's keys (tasks, leases, inboxes) when it runs out of memory. Only
 * `noeviction`, or no memory limit at all, keeps every key; a `volatile-*` policy is no better, since
 * leases are exactly the keys with a TTL. When the server refuses `CONFIG GET` (managed services often
 * do), nothing is known: `safe` is null and `reason` says what the server answered.
 */
export type EvictionRisk =
  | {
      readonly policy: string;
      /** The `maxmemory` limit in bytes; 0 means none. */
      readonly maxmemoryBytes: number;
      readonly safe: boolean;
    }
  | {
      readonly policy: 'unknown';
      readonly maxmemoryBytes: null;
      readonly safe: null;
      readonly reason: string;
    };

/**
 * What townhall and the worker say at start about eviction, in the same words: a warning when the town's
 * keys may be evicted, a note when the server would not say (managed services often refuse CONFIG, and
 * some ship an evicting policy by default), nothing when it is safe.
 */
export function evictionAdvice(risk: EvictionRisk): { level: 'warning' | 'note'; text: string } | undefined {
  if (risk.safe === true) return undefined;
  if (risk.safe === null) {
    return {
      level: 'note',
      text: `cannot read the Redis maxmemory-policy (${risk.reason}); make sure it is noeviction, or Redis may evict the town's keys`,
    };
  }
  return {
    level: 'warning',
    text:
      `Redis maxmemory-policy is ${risk.policy} with maxmemory ${risk.maxmemoryBytes} bytes: under memory pressure ` +
      `Redis may silently evict the town's tasks, leases and inboxes. Fix: CONFIG SET maxmemory-policy noeviction, ` +
      `and maxmemory-policy noeviction in redis.conf so it survives a restart`,
  };
}

/** A `CONFIG GET <name>` reply is `[name, value]`; an empty one means the server has no such setting. */
function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}

/** Liveness facts for probes, metrics and the shared rate limiter. */
/** A worker heartbeat younger than this means the dispatcher is running. */
export const DISPATCHER_FRESH_MS = 30_000;

/**
 * A worker whose heartbeat is this old is forgotten by the live ones (never by itself): long past
 * {@link DISPATCHER_FRESH_MS}, so while none is alive a dead one still shows the dispatcher `stalled`.
 */
export const WORKER_FORGET_MS = 10 * 60_000;

export type DispatcherState = 'running' | 'stalled' | 'idle';

export class Probes {
  constructor(private readonly ctx: StoreContext) {}

  /** Round-trip time of a PING, in milliseconds. */
  async ping(): Promise<number> {
    const started = performance.now();
    await redisCall(this.ctx.redis.ping());
    return performance.now() - started;
  }

  /**
   * Reads `maxmemory-policy` and `maxmemory` in one round trip. A server that refuses CONFIG gives an
   * unknown risk rather than an error; a connection failure still throws REDIS_UNAVAILABLE.
   */
  async evictionRisk(): Promise<EvictionRisk> {
    const replies =
      (await redisCall(
        this.ctx.redis.pipeline().config('GET', 'maxmemory-policy').config('GET', 'maxmemory').exec(),
      )) ?? [];
    const refusals: string[] = [];
    for (const [error] of replies) {
      if (!error) continue;
      const mapped = toStoreError(error);
      // A reply error is the server answering (unknown command, NOPERM); anything else is the connection.
      if (mapped !== error || error.name !== 'ReplyError') throw mapped;
      refusals.push(error.message);
    }
    const policy = configValue(replies[0]?.[1]);
    const maxmemory = configValue(replies[1]?.[1]);
    if (refusals.length > 0 || policy === undefined || maxmemory === undefined) {
      return {
        policy: 'unknown',
        maxmemoryBytes: null,
        safe: null,
        reason: refusals[0] ?? 'CONFIG GET returned no maxmemory-policy or maxmemory',
      };
    }
    const maxmemoryBytes = Number(maxmemory);
    return { policy, maxmemoryBytes, safe: policy === 'noeviction' || maxmemoryBytes === 0 };
  }

  /**
   * Counts a hit in a fixed window shared by every process on this Redis. Returns whether it is allowed
   * and how long until the window resets.
   */
  async hit(
    bucket: string,
    limit: number,
    windowMs: number,
  ): Promise<{ allowed: boolean; remaining: number; resetMs: number }> {
    const key = this.ctx.keys.rateLimit(bucket);
    const replies = await redisCall(
      this.ctx.redis.multi().incr(key).pexpire(key, windowMs, 'NX').pttl(key).exec(),
    );
    const count = Number(replies?.[0]?.[1] ?? 0);
    const ttl = Number(replies?.[2]?.[1] ?? windowMs);
    return {
      allowed: count <= limit,
      remaining: Math.max(0, limit - count),
      resetMs: ttl > 0 ? ttl : windowMs,
    };
  }

  /**
   * A worker says it is alive (and when it last finished a tick). Workers silent for longer than
   * {@link WORKER_FORGET_MS} are forgotten meanwhile: one killed outright never calls `workerGone`.
   */
  async workerHeartbeat(workerId: string, lastTickMs = Date.now()): Promise<void> {
    await this.ctx.run('workerBeat', { worker: workerId, at_ms: lastTickMs, forget_ms: WORKER_FORGET_MS });
  }

  async workerGone(workerId: string): Promise<void> {
    await redisCall(this.ctx.redis.hdel(this.ctx.keys.workers, workerId));
  }

  /**
   * Whether missions are being scheduled: `running` while some worker finished a pass within
   * {@link DISPATCHER_FRESH_MS}, `stalled` when every worker has gone silent, `idle` when none is
   * registered (none ever ran, or the last one left cleanly).
   */
  async dispatcherState(nowMs = Date.now()): Promise<DispatcherState> {
    const beats = Object.values(await this.workers());
    if (beats.length === 0) return 'idle';
    return nowMs - Math.max(...beats) < DISPATCHER_FRESH_MS ? 'running' : 'stalled';
  }

  /** Last heartbeat (epoch ms) of each worker. */
  async workers(): Promise<Record<string, number>> {
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.workers));
    return Object.fromEntries(Object.entries(hash).map(([id, ms]) => [id, Number(ms)]));
  }

  /** Sizes the scaling signal and metrics need, in one round trip. */
  async counts(): Promise<{
    backlog: number;
    pending: number;
    assigned: number;
    running: number;
    /** Tasks in state completed (the metrics counter of finished work). */
    completed: number;
    agents: number;
  }> {
    const { keys, redis } = this.ctx;
    const replies =
      (await redisCall(
        redis
          .pipeline()
          .llen(keys.backlog)
          .scard(keys.tasksInState('pending'))
          .scard(keys.tasksInState('assigned'))
          .scard(keys.tasksInState('running'))
          .scard(keys.tasksInState('completed'))
          .scard(keys.agents)
          .exec(),
      )) ?? [];
    const [backlog, pending, assigned, running, completed, agents] = replies.map(([, value]) =>
      Number(value ?? 0),
    );
    return {
      backlog: backlog ?? 0,
      pending: pending ?? 0,
      assigned: assigned ?? 0,
      running: running ?? 0,
      completed: completed ?? 0,
      agents: agents ?? 0,
    };
  }
}
