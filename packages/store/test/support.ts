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

/** Every key and its full content, for before/after comparisons. */
export async function dumpKeys(client: import('ioredis').Redis): Promise<Record<string, unknown>> {
  const keys = (await client.keys('*')).sort();
  const dump: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await client.type(key);
    if (type === 'string') dump[key] = await client.get(key);
    else if (type === 'hash') dump[key] = await client.hgetall(key);
    else if (type === 'list') dump[key] = await client.lrange(key, 0, -1);
    else if (type === 'set') dump[key] = (await client.smembers(key)).sort();
    else if (type === 'zset') dump[key] = await client.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') dump[key] = await client.xrange(key, '-', '+');
  }
  return dump;
}
