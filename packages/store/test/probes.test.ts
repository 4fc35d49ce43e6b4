import { isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { DISPATCHER_FRESH_MS, evictionAdvice, Town, WORKER_FORGET_MS } from '../src/index.js';
import { useTown } from './support.js';

describe('evictionRisk', () => {
  const t = useTown('evict');
  const configure = async (maxmemory: string, policy: string) => {
    await t.redis.client.config('SET', 'maxmemory', maxmemory);
    await t.redis.client.config('SET', 'maxmemory-policy', policy);
  };

  it('is unsafe with a memory limit and an evicting policy, naming the policy and the fix', async () => {
    await configure('100mb', 'allkeys-lru');
    const risk = await t.town.probes.evictionRisk();
    expect(risk).toEqual({ policy: 'allkeys-lru', maxmemoryBytes: 104_857_600, safe: false });
    const advice = evictionAdvice(risk);
    expect(advice?.level).toBe('warning');
    const warning = advice?.text;
    expect(warning).toContain('maxmemory-policy is allkeys-lru');
    expect(warning).toContain('CONFIG SET maxmemory-policy noeviction');
    expect(warning).toContain('maxmemory-policy noeviction in redis.conf');
  });

  it('counts volatile policies as unsafe: leases are the keys with a TTL', async () => {
    await configure('100mb', 'volatile-ttl');
    expect(await t.town.probes.evictionRisk()).toMatchObject({ policy: 'volatile-ttl', safe: false });
  });

  it('is safe with noeviction, even under a memory limit', async () => {
    await configure('100mb', 'noeviction');
    const risk = await t.town.probes.evictionRisk();
    expect(risk).toEqual({ policy: 'noeviction', maxmemoryBytes: 104_857_600, safe: true });
    expect(evictionAdvice(risk)).toBeUndefined();
  });

  it('is safe with an evicting policy but no memory limit', async () => {
    await configure('0', 'allkeys-lru');
    const risk = await t.town.probes.evictionRisk();
    expect(risk).toEqual({ policy: 'allkeys-lru', maxmemoryBytes: 0, safe: true });
    expect(evictionAdvice(risk)).toBeUndefined();
  });

  it('is unknown, not an error, when the server refuses CONFIG', async () => {
    await configure('100mb', 'allkeys-lru');
    await t.redis.client.call('ACL', 'SETUSER', 'no-config', 'on', '>secret', '~*', '&*', '+@all', '-config');
    const url = t.redis.url.replace('redis://', 'redis://no-config:secret@');
    const restricted = await Town.connect({ url, town: 'evict' });
    try {
      const risk = await restricted.probes.evictionRisk();
      expect(risk).toMatchObject({ policy: 'unknown', maxmemoryBytes: null, safe: null });
      expect(risk.safe === null && risk.reason).toMatch(/NOPERM/);
      expect(evictionAdvice(risk)).toEqual({
        level: 'note',
        text: expect.stringMatching(
          /^cannot read the Redis maxmemory-policy \(NOPERM.*\); make sure it is noeviction/,
        ),
      });
    } finally {
      await restricted.close();
      await t.redis.client.call('ACL', 'DELUSER', 'no-config');
    }
  });

  it('throws REDIS_UNAVAILABLE when Redis is gone', async () => {
    const town = await Town.connect({ url: t.redis.url, town: 'evict', maxRetriesPerRequest: 0 });
    await t.redis.crash();
    try {
      const failure = await town.probes.evictionRisk().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isTinytownError(failure) && failure.code).toBe('REDIS_UNAVAILABLE');
    } finally {
      await t.redis.restart();
      await town.close();
    }
  });
});

describe('worker heartbeats', () => {
  const t = useTown('beats');

  it('forget a worker killed outright once a live one beats, and keep the recent ones', async () => {
    const now = Date.now();
    await t.town.probes.workerHeartbeat('killed', now - WORKER_FORGET_MS - 1_000);
    await t.town.probes.workerHeartbeat('slow', now - DISPATCHER_FRESH_MS * 2);
    expect(Object.keys(await t.town.probes.workers()).sort()).toEqual(['killed', 'slow']);
    // With no live worker, the dead one still says the dispatcher stalled.
    expect(await t.town.probes.dispatcherState(now)).toBe('stalled');
    await t.town.probes.workerHeartbeat('live', now);
    expect(await t.town.probes.workers()).toEqual({ slow: now - DISPATCHER_FRESH_MS * 2, live: now });
    expect(await t.town.probes.dispatcherState(now)).toBe('running');
    await t.town.probes.workerGone('live');
    await t.town.probes.workerGone('slow');
    expect(await t.town.probes.dispatcherState(now)).toBe('idle');
  });
});
