import type { Redis } from 'ioredis';

/**
 * Every key on the server with its full content, for "nothing changed" assertions: take a dump before
 * an operation that must fail and compare it with one taken after. `skip` leaves out keys whose change
 * is expected (a rate limiter's counters, say).
 */
export async function dumpKeys(
  client: Redis,
  skip: (key: string) => boolean = () => false,
): Promise<Record<string, unknown>> {
  const keys = (await client.keys('*')).filter((key) => !skip(key)).sort();
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
