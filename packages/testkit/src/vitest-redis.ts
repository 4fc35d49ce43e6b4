import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestRedis, type TestRedis, type TestRedisOptions } from './redis-server.js';

/**
 * One private redis-server for the calling test file: started before its tests, flushed before each
 * test, stopped after the file. Read `.current` inside tests and hooks.
 */
export function useTestRedis(options: TestRedisOptions & { flushEachTest?: boolean } = {}): {
  readonly current: TestRedis;
} {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startTestRedis(options);
  });
  if (options.flushEachTest !== false) {
    beforeEach(async () => {
      await redis?.flush();
    });
  }
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get current(): TestRedis {
      if (!redis) throw new Error('the test redis-server is not started yet: use it inside tests or hooks');
      return redis;
    },
  };
}
