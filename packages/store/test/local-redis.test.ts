import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRedisServerBinary, startLocalRedis, stopLocalRedis, Town } from '../src/index.js';

describe('the embedded local redis-server', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tt-town-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) {
      await stopLocalRedis(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts on a socket under .tt with append-only persistence, and data survives a restart', async () => {
    const root = await tempDir();
    const first = await startLocalRedis(root);
    expect(first.started).toBe(true);
    expect(first.url).toBe(`unix://${join(root, '.tt/redis.sock')}`);
    const town = await Town.connect({ url: first.url, town: 'local' });
    await town.backlog.add('persist me');
    await town.close();
    await first.stop();
    expect(existsSync(join(root, '.tt/redis/appendonlydir'))).toBe(true);

    const second = await startLocalRedis(root);
    const again = await Town.connect({ url: second.url, town: 'local' });
    expect((await again.backlog.list()).map((task) => task.description)).toEqual(['persist me']);
    // A second start while it runs reuses the server.
    expect((await startLocalRedis(root)).started).toBe(false);
    await again.close();
    await second.stop();
  });

  it('a detached server is stopped through its pid file', async () => {
    const root = await tempDir();
    await startLocalRedis(root, { detached: true });
    expect(await stopLocalRedis(root)).toBe(true);
    expect((await startLocalRedis(root)).started).toBe(true);
  });

  it('says how to install Redis when the binary is missing or too old', async () => {
    await expect(checkRedisServerBinary('/nonexistent/redis-server')).rejects.toMatchObject({
      code: 'REDIS_NOT_INSTALLED',
      message: expect.stringContaining('REDIS_URL'),
    });
    const dir = await tempDir();
    const fake = join(dir, 'old-redis-server');
    await writeFile(fake, '#!/bin/sh\necho "Redis server v=6.2.14 sha=0 malloc=libc bits=64"\n');
    await chmod(fake, 0o755);
    await expect(checkRedisServerBinary(fake)).rejects.toMatchObject({ code: 'REDIS_TOO_OLD' });
    expect(await checkRedisServerBinary()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
