import { z } from 'zod';

export const HealthResponse = z
  .object({ status: z.literal('ok'), uptime_secs: z.number().int().nonnegative() })
  .meta({ id: 'HealthResponse' });

export const DispatcherState = z
  .enum(['running', 'stalled', 'idle', 'unknown'])
  .describe(
    'running: a worker heartbeat is under 30 s old; stalled: the newest is older; idle: no worker has reported; unknown: Redis is unreachable',
  );

export const ReadyResponse = z
  .object({
    status: z.literal('ready'),
    redis: z.literal('connected'),
    redis_latency_ms: z.number(),
    redis_eviction_policy: z
      .string()
      .describe(
        "Redis's maxmemory-policy, e.g. noeviction or allkeys-lru; unknown when the server refuses CONFIG GET (managed services often do)",
      ),
    redis_eviction_safe: z
      .boolean()
      .nullable()
      .describe(
        'Whether Redis keeps every key of the town under memory pressure: true with maxmemory-policy noeviction or no maxmemory limit, false when it may evict tasks, leases and inboxes (a warning: readiness stays ready), null when unknown',
      ),
    dispatcher: DispatcherState,
    town: z.string(),
  })
  .meta({ id: 'ReadyResponse' });

export const NotReadyResponse = z
  .object({
    status: z.literal('not_ready'),
    redis: z.literal('disconnected'),
    dispatcher: DispatcherState,
    town: z.string(),
    detail: z.string(),
  })
  .meta({ id: 'NotReadyResponse' });

export const ScalingSignal = z
  .object({
    town: z.string(),
    timestamp: z.string(),
    queue_depth: z.number().int().nonnegative(),
    pending_tasks: z.number().int().nonnegative(),
    in_flight_tasks: z.number().int().nonnegative(),
    active_agents: z.number().int().nonnegative(),
    cold_agents: z.number().int().nonnegative(),
    desired_agents: z.number().int().nonnegative(),
    max_agents: z.number().int().nonnegative(),
    scaling_recommendation: z.enum(['scale_up', 'steady', 'scale_down', 'scale_to_zero']),
  })
  .meta({ id: 'ScalingSignal', description: 'Scaling snapshot for external autoscalers' });

export const MetricsText = z.string().describe('Prometheus text exposition');
