import { useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeEach } from 'vitest';
import { Town } from '../src/index.js';

/** A private redis-server for the file and a fresh Town over it for every test. */
export function useTown(town = 'test', settings: Parameters<typeof Town.connect>[0]['settings'] = {}) {
  const redis = useTestRedis();
  let current: Town | undefined;
  beforeEach(async () => {
    await current?.close();
    current = await Town.connect({ url: redis.current.url, town, settings });
  });
  afterAll(async () => {
    await current?.close();
  });
  return {
    get town(): Town {
      if (!current) throw new Error('town not ready');
      return current;
    },
    get redis() {
      return redis.current;
    },
  };
}

export { dumpKeys } from '@tinytown/testkit';
