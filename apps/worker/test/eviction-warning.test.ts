import { Town } from '@tinytown/store';
import { useTestRedis } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker } from '../src/index.js';

describe('tinytown-worker and the Redis eviction policy', () => {
  const redis = useTestRedis();
  const towns: Town[] = [];

  afterEach(async () => {
    for (const town of towns.splice(0)) await town.close();
    // The redis-server lives for the whole file: put back the defaults of a fresh one.
    await redis.current.client.config('SET', 'maxmemory', '0');
    await redis.current.client.config('SET', 'maxmemory-policy', 'noeviction');
  });

  /** Starts a worker in this process, stops it, and returns the lines it logged. */
  const startAndLog = async (
    maxmemory: string,
    policy: string,
    url = redis.current.url,
  ): Promise<string[]> => {
    await redis.current.client.config('SET', 'maxmemory', maxmemory);
    await redis.current.client.config('SET', 'maxmemory-policy', policy);
    const town = await Town.connect({ url, town: 'evict' });
    towns.push(town);
    const lines: string[] = [];
    const worker = await startWorker({
      town,
      forge: null,
      intervalMs: 60_000,
      metricsPort: 0,
      log: (line) => lines.push(line),
    });
    await worker.stop();
    return lines;
  };

  it('warns once at start, naming the policy and the fix, when Redis may evict', async () => {
    const lines = await startAndLog('100mb', 'allkeys-lru');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tinytown-worker: warning: Redis maxmemory-policy is allkeys-lru /);
    expect(lines[0]).toContain('CONFIG SET maxmemory-policy noeviction');
    expect(lines[0]).toContain('maxmemory-policy noeviction in redis.conf');
  });

  it('notes it once when Redis will not say (CONFIG refused), as managed services do', async () => {
    await redis.current.client.call(
      'ACL',
      'SETUSER',
      'no-config',
      'on',
      '>secret',
      '~*',
      '&*',
      '+@all',
      '-config',
    );
    try {
      const url = redis.current.url.replace('redis://', 'redis://no-config:secret@');
      const lines = await startAndLog('100mb', 'allkeys-lru', url);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^tinytown-worker: note: cannot read the Redis maxmemory-policy \(NOPERM.*\); make sure it is noeviction/,
      );
    } finally {
      await redis.current.client.call('ACL', 'DELUSER', 'no-config');
    }
  });

  it('says nothing with noeviction, or with no memory limit', async () => {
    expect(await startAndLog('100mb', 'noeviction')).toEqual([]);
    expect(await startAndLog('0', 'allkeys-lru')).toEqual([]);
  });
});
