import { describe, expect, it } from 'vitest';
import { call, expectProblem, useTownhall } from './support.js';

describe('without Redis', () => {
  const h = useTownhall();

  it('stays alive, reports not ready, and serves zeroed metrics with 503', async () => {
    await h.town.agents.register({ name: 'w', cli: 'claude' });
    await h.redis.crash();
    try {
      expect((await call(h.base, 'GET', '/health')).status).toBe(200);
      const ready = await call(h.base, 'GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({
        status: 'not_ready',
        redis: 'disconnected',
        dispatcher: 'unknown',
        town: 'hall',
      });
      expect(ready.json.detail).toMatch(/^Redis ping failed/);
      expect((await call(h.base, 'GET', '/readyz')).status).toBe(503);
      const metrics = await call(h.base, 'GET', '/metrics');
      expect(metrics.status).toBe(503);
      expect(metrics.text).toContain('tinytown_up 1\n');
      expect(metrics.text).toContain('tinytown_ready 0\n');
      expect(metrics.text).toContain('tinytown_tasks_pending 0\n');
      expect(metrics.text).not.toContain('tinytown_agents_total{');
      expect(metrics.text).toMatch(/# tinytown_metrics_error .+\n$/);
      expectProblem(await call(h.base, 'GET', '/api/scaling'), 503, 'REDIS_UNAVAILABLE');
      expectProblem(await call(h.base, 'GET', '/v1/agents'), 503, 'REDIS_UNAVAILABLE');
    } finally {
      await h.redis.restart();
    }
  });
});

describe('limits and CORS from config', () => {
  const h = useTownhall({
    townhall: { request_timeout_ms: 300, body_limit_bytes: 200, cors_origins: ['https://app.example'] },
  });

  it('answers a request that outlives the timeout with 503 TIMEOUT', async () => {
    await h.redis.client.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    const response = await call(h.base, 'GET', '/v1/agents');
    expectProblem(response, 503, 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1400);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect((await call(h.base, 'GET', '/v1/agents')).status).toBe(200);
    // The handler that finished after its timeout did not answer twice or fail the server.
    const levels = h.logs.map((line) => (JSON.parse(line) as { level: number; msg: string }).level);
    expect(levels.filter((level) => level >= 40)).toEqual([40]);
    expect(h.logs.filter((line) => line.includes('"statusCode":503'))).toHaveLength(1);
  });

  it('applies the configured body limit', async () => {
    expectProblem(
      await call(h.base, 'POST', '/v1/backlog', { body: { description: 'x'.repeat(300) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect((await call(h.base, 'POST', '/v1/backlog', { body: { description: 'short' } })).status).toBe(201);
  });

  it('allows only the configured origins, with preflight', async () => {
    const allowed = await call(h.base, 'GET', '/v1/agents', { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('vary')).toContain('Origin');
    const other = await call(h.base, 'GET', '/v1/agents', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call(h.base, 'OPTIONS', '/v1/backlog', {
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const foreignPreflight = await call(h.base, 'OPTIONS', '/v1/backlog', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expectProblem(foreignPreflight, 405, 'METHOD_NOT_ALLOWED');
  });
});
