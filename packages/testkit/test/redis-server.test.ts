import { describe, expect, it } from 'vitest';
import { dumpKeys, startTestRedis } from '../src/index.js';

describe('the private test redis-server', () => {
  it('runs on its own free port (never 6379), survives a crash and restart, and cleans up', async () => {
    const redis = await startTestRedis({ unixSocket: true });
    try {
      expect(redis.port).not.toBe(6379);
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      await redis.client.hset('h', 'a', '1');
      await redis.client.rpush('l', 'x', 'y');
      expect(await dumpKeys(redis.client)).toEqual({ h: { a: '1' }, l: ['x', 'y'] });
      expect(await dumpKeys(redis.client, (key) => key === 'l')).toEqual({ h: { a: '1' } });
      await redis.crash();
      await redis.restart();
      expect(await redis.client.ping()).toBe('PONG');
      // Nothing is persisted: a crash loses the data, as tests expect.
      expect(await redis.client.dbsize()).toBe(0);
      await redis.client.set('k', 'v');
      await redis.flush();
      expect(await redis.client.dbsize()).toBe(0);
    } finally {
      await redis.stop();
    }
  });
});
