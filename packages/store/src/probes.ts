import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';

/** Liveness facts for probes, metrics and the shared rate limiter. */
export class Probes {
  constructor(private readonly ctx: StoreContext) {}

  /** Round-trip time of a PING, in milliseconds. */
  async ping(): Promise<number> {
    const started = performance.now();
    await redisCall(this.ctx.redis.ping());
    return performance.now() - started;
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

  /** A worker says it is alive (and when it last finished a tick). */
  async workerHeartbeat(workerId: string, lastTickMs = Date.now()): Promise<void> {
    await redisCall(this.ctx.redis.hset(this.ctx.keys.workers, workerId, String(lastTickMs)));
  }

  async workerGone(workerId: string): Promise<void> {
    await redisCall(this.ctx.redis.hdel(this.ctx.keys.workers, workerId));
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
