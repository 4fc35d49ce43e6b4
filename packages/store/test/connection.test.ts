import { startTestRedis } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  openRedis,
  parseRedisUrl,
  parseRedisVersion,
  redactRedisUrl,
  Town,
} from '../src/index.js';

describe('connections', () => {
  it('accepts a password containing @:/%# when it is percent-encoded', async () => {
    const password = 'p@ss:w/rd%#x';
    const redis = await startTestRedis({ password });
    try {
      expect(redis.url).toContain(encodeURIComponent(password));
      const town = await Town.connect({ url: redis.url, town: 'secret' });
      await town.agents.register({ name: 'a', cli: 'claude' });
      expect(await town.agents.list()).toHaveLength(1);
      expect(town.redactedUrl).not.toContain(encodeURIComponent(password));
      await town.close();
      await expect(
        Town.connect({ url: `redis://:wrong@127.0.0.1:${redis.port}`, town: 'secret' }),
      ).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE', message: expect.stringMatching(/WRONGPASS/) });
    } finally {
      await redis.stop();
    }
  });

  it('connects over a unix:// socket', async () => {
    const redis = await startTestRedis({ unixSocket: true });
    try {
      expect(redis.socketUrl).toMatch(/^unix:\/\//);
      const town = await Town.connect({ url: redis.socketUrl!, town: 'sock' });
      await town.backlog.add('over the socket');
      expect(await redis.client.llen('tt:{sock}:backlog')).toBe(1);
      await town.close();
    } finally {
      await redis.stop();
    }
  });

  it('the next operation succeeds after Redis is killed and restarted', async () => {
    const redis = await startTestRedis();
    try {
      const town = await Town.connect({ url: redis.url, town: 'phoenix' });
      await town.agents.register({ name: 'before', cli: 'claude' });
      await redis.crash();
      const pending = town.backlog.add('queued while Redis was down');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.restart();
      const task = await pending;
      expect(task.description).toBe('queued while Redis was down');
      // The data of the killed server is gone (no persistence in tests): scripts must load again.
      await town.agents.register({ name: 'after', cli: 'claude' });
      expect((await town.agents.list()).map((agent) => agent.name)).toEqual(['after']);
      await town.close();
    } finally {
      await redis.stop();
    }
  });

  it('tells its owner once when an established connection is lost and once when it is back', async () => {
    const redis = await startTestRedis();
    try {
      const heard: string[] = [];
      let downFor = 0;
      const town = await Town.connect({
        url: redis.url,
        town: 'outage',
        onConnectionLost: (reason) => heard.push(`lost: ${reason}`),
        onConnectionRestored: (downMs) => {
          heard.push('restored');
          downFor = downMs;
        },
      });
      await town.backlog.add('before');
      expect(heard).toEqual([]);
      await redis.crash();
      // Several reconnect attempts fail while it is down: still one report.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(heard).toHaveLength(1);
      expect(heard[0]).toMatch(/^lost: /);
      await redis.restart();
      await town.backlog.add('after');
      expect(heard).toHaveLength(2);
      expect(heard[1]).toBe('restored');
      expect(downFor).toBeGreaterThanOrEqual(600);
      // Closing on purpose is no outage.
      await town.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toHaveLength(2);
    } finally {
      await redis.stop();
    }
  });

  it('an operation while Redis is down fails as REDIS_UNAVAILABLE, in plain words', async () => {
    const redis = await startTestRedis();
    try {
      const town = await Town.connect({ url: redis.url, town: 'down', maxRetriesPerRequest: 1 });
      await redis.crash();
      await expect(town.backlog.add('lost?')).rejects.toMatchObject({
        code: 'REDIS_UNAVAILABLE',
        message: 'Redis is unavailable: still no connection after 1 reconnect attempt',
      });
      await town.close();
    } finally {
      await redis.stop();
    }
  });

  it('a first connect that fails is an error, not a lost connection', async () => {
    const heard: string[] = [];
    await expect(
      Town.connect({
        url: 'redis://127.0.0.1:1',
        town: 'nowhere',
        maxRetriesPerRequest: 0,
        onConnectionLost: (reason) => heard.push(reason),
      }),
    ).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
  });

  it('Town.over leaves the connection it was given open when the Town closes', async () => {
    const redis = await startTestRedis();
    const connection = openRedis(redis.url);
    try {
      const town = Town.over(connection, 'borrowed');
      await town.agents.register({ name: 'a', cli: 'claude' });
      await town.close();
      expect(await connection.ping()).toBe('PONG');
      expect(await Town.over(connection, 'borrowed').agents.list()).toHaveLength(1);
    } finally {
      connection.disconnect();
      await redis.stop();
    }
  });

  it('a setting given as undefined takes its default', async () => {
    const redis = await startTestRedis();
    try {
      // What `{ leaseMs: options.leaseMs }` passes when the option is unset.
      const settings = { leaseMs: undefined, spawnGraceMs: undefined, historyMax: undefined };
      const town = await Town.connect({ url: redis.url, town: 'defaults', settings });
      expect(town.settings).toEqual(DEFAULT_SETTINGS);
      await town.agents.register({ name: 'a', cli: 'claude' });
      await town.messages.send({ to: 'a', text: 'hello' });
      await town.close();
    } finally {
      await redis.stop();
    }
  });

  it('reports an unreachable server as REDIS_UNAVAILABLE, naming it and the socket’s reason', async () => {
    await expect(
      Town.connect({ url: 'redis://:secret@127.0.0.1:1', town: 'nowhere', maxRetriesPerRequest: 0 }),
    ).rejects.toMatchObject({
      code: 'REDIS_UNAVAILABLE',
      message: 'Cannot connect to Redis at redis://:****@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    });
    await expect(
      Town.connect({ url: 'unix:///nonexistent/tinytown.sock', town: 'nowhere', maxRetriesPerRequest: 0 }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(
        /^Cannot connect to Redis at unix:\/\/\/nonexistent\/tinytown\.sock: .*ENOENT/,
      ),
    });
  });

  it('parses URLs and versions', () => {
    expect(parseRedisUrl('redis://:p%40ss@example:6380/2')).toMatchObject({
      host: 'example',
      port: 6380,
      db: 2,
      password: 'p@ss',
    });
    expect(parseRedisUrl('rediss://u:p@h')).toMatchObject({
      tls: {},
      username: 'u',
      password: 'p',
      port: 6379,
    });
    expect(parseRedisUrl('unix:///tmp/r.sock?password=x')).toMatchObject({
      path: '/tmp/r.sock',
      password: 'x',
    });
    expect(() => parseRedisUrl('http://x')).toThrow(/Unsupported Redis URL scheme/);
    expect(redactRedisUrl('redis://user:secret@host:1')).toBe('redis://user:****@host:1');
    expect(parseRedisVersion('# Server\r\nredis_version:7.0.15\r\n')).toEqual([7, 0, 15]);
    expect(parseRedisVersion('redis_version:6.2.1')).toEqual([6, 2, 1]);
  });
});
