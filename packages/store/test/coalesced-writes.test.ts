import type { Socket } from 'node:net';
import { useTestRedis } from '@tinytown/testkit';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWritesPerTurn } from '../src/coalesced-writes.js';
import { connectRedis } from '../src/index.js';

/** Counts the writes a connection's socket hands to the operating system. */
function countWrites(redis: Redis): { readonly count: number } {
  const socket = redis.stream as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  const counter = { count: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...args: unknown[]) => {
      counter.count += 1;
      original(...args);
    };
  }
  return counter;
}

describe('coalesced writes', () => {
  const server = useTestRedis();
  const open: Redis[] = [];
  afterEach(() => {
    for (const redis of open.splice(0)) redis.disconnect();
  });

  async function connect(coalesced: boolean): Promise<Redis> {
    const redis = await connectRedis(server.current.url);
    open.push(redis);
    if (coalesced) coalesceWritesPerTurn(redis);
    return redis;
  }

  /** Twenty commands from twenty callbacks of one turn, as a server answering twenty requests sends them. */
  async function twentyFromSeparateCallbacks(redis: Redis): Promise<number[]> {
    return Promise.all(
      Array.from({ length: 20 }, (_, i) => Promise.resolve().then(() => redis.incrby('counter', i + 1))),
    );
  }

  it('sends the commands of one turn in a single write', async () => {
    const plain = await connect(false);
    const plainWrites = countWrites(plain);
    await twentyFromSeparateCallbacks(plain);
    // The anchor: without coalescing every command is its own write.
    expect(plainWrites.count).toBe(20);

    const coalesced = await connect(true);
    const writes = countWrites(coalesced);
    await twentyFromSeparateCallbacks(coalesced);
    // The first goes at once (nothing was awaited); the nineteen behind it leave together.
    expect(writes.count).toBe(2);
  });

  it('sends a command at once when no reply is awaited', async () => {
    const redis = await connect(true);
    const writes = countWrites(redis);
    for (let i = 1; i <= 3; i++) {
      const reply = redis.incr('alone');
      expect(writes.count).toBe(i);
      expect(await reply).toBe(i);
    }
  });

  it('sends what it holds at once when asked, and holds the turn’s later commands again', async () => {
    const redis = await connectRedis(server.current.url);
    open.push(redis);
    const coalescing = coalesceWritesPerTurn(redis);
    const writes = countWrites(redis);
    const awaited = redis.set('now', '1');
    expect(writes.count).toBe(1);
    const held = redis.get('now');
    expect(writes.count).toBe(1);
    coalescing.sendNow();
    expect(writes.count).toBe(2);
    const second = redis.get('now');
    const third = redis.incr('now');
    expect(writes.count).toBe(2);
    expect(await Promise.all([awaited, held, second, third])).toEqual(['OK', '1', '1', 2]);
    expect(writes.count).toBe(3);
  });

  it('keeps every reply with its command, in order', async () => {
    const redis = await connect(true);
    await redis.del('counter');
    const replies = await twentyFromSeparateCallbacks(redis);
    // incrby i+1 in order: running sums 1, 3, 6, …
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    expect(await redis.get('counter')).toBe('210');
  });

  it('sends a command issued at the end of a turn and one issued after a reply', async () => {
    const redis = await connect(true);
    const fromImmediate = await new Promise<string | null>((resolve, reject) => {
      setImmediate(() => {
        redis
          .set('late', 'yes')
          .then(() => redis.get('late'))
          .then(resolve, reject);
      });
    });
    expect(fromImmediate).toBe('yes');
    let chained = 0;
    for (let i = 0; i < 50; i++) chained = await redis.incr('chained');
    expect(chained).toBe(50);
  });
});
