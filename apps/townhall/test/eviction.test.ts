import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogDestination, type RunningTownhall, startRest } from '../src/index.js';
import { call, useTownhall } from './support.js';

interface LogLine {
  level: number;
  msg: string;
  policy?: string;
}
const WARN = 40;

describe('Redis eviction policy', () => {
  const h = useTownhall();
  const running: RunningTownhall[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const townhall of running.splice(0)) await townhall.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    // The redis-server lives for the whole file: put back the defaults of a fresh one.
    await h.redis.client.config('SET', 'maxmemory', '0');
    await h.redis.client.config('SET', 'maxmemory-policy', 'noeviction');
  });

  const configure = async (maxmemory: string, policy: string) => {
    await h.redis.client.config('SET', 'maxmemory', maxmemory);
    await h.redis.client.config('SET', 'maxmemory-policy', policy);
  };

  /** Runs `townhall rest` in this process over the test Redis and returns what it logged. */
  const startAndLog = async (redisUrl = h.redis.url): Promise<{ lines: LogLine[]; url: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-townhall-evict-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tinytown.toml'), 'name = "hall"\n');
    const raw: string[] = [];
    const destination: LogDestination = { write: (line) => void raw.push(line) };
    const townhall = await startRest({
      townDir: dir,
      bind: '127.0.0.1',
      port: 0,
      env: { REDIS_URL: redisUrl },
      logger: { level: 'info', destination },
    });
    running.push(townhall);
    return { lines: raw.map((line) => JSON.parse(line) as LogLine), url: townhall.url };
  };

  it('/ready reports the policy, and stays 200 ready when Redis may evict', async () => {
    const safe = await call(h.base, 'GET', '/ready');
    expect(safe.status).toBe(200);
    expect(safe.json).toMatchObject({ redis_eviction_policy: 'noeviction', redis_eviction_safe: true });

    await configure('100mb', 'allkeys-lru');
    for (const path of ['/ready', '/readyz']) {
      const unsafe = await call(h.base, 'GET', path);
      expect(unsafe.status).toBe(200);
      expect(unsafe.json).toMatchObject({
        status: 'ready',
        redis: 'connected',
        redis_eviction_policy: 'allkeys-lru',
        redis_eviction_safe: false,
      });
    }
  });

  it('logs one warn line at start naming the policy and the fix when Redis may evict', async () => {
    await configure('100mb', 'allkeys-lru');
    const { lines } = await startAndLog();
    const warnings = lines.filter((line) => line.level >= WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(WARN);
    expect(warnings[0]?.policy).toBe('allkeys-lru');
    expect(warnings[0]?.msg).toContain('maxmemory-policy is allkeys-lru');
    expect(warnings[0]?.msg).toContain('CONFIG SET maxmemory-policy noeviction');
    expect(warnings[0]?.msg).toContain('maxmemory-policy noeviction in redis.conf');
  });

  it('logs no warning at start with noeviction, or with no memory limit', async () => {
    for (const [maxmemory, policy] of [
      ['100mb', 'noeviction'],
      ['0', 'allkeys-lru'],
    ] as const) {
      await configure(maxmemory, policy);
      const { lines } = await startAndLog();
      expect(lines.some((line) => line.msg.startsWith('townhall ready at'))).toBe(true);
      expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
    }
  });

  it('says the policy is unknown, without a warning, when Redis refuses CONFIG', async () => {
    await configure('100mb', 'allkeys-lru');
    await h.redis.client.call('ACL', 'SETUSER', 'no-config', 'on', '>secret', '~*', '&*', '+@all', '-config');
    try {
      const { lines, url } = await startAndLog(h.redis.url.replace('redis://', 'redis://no-config:secret@'));
      expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
      expect(lines.some((line) => line.msg.startsWith('cannot read the Redis maxmemory-policy'))).toBe(true);
      const ready = await call(url, 'GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ redis_eviction_policy: 'unknown', redis_eviction_safe: null });
    } finally {
      await h.redis.client.call('ACL', 'DELUSER', 'no-config');
    }
  });
});
