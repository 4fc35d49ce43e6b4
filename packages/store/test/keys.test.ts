import { describe, expect, it } from 'vitest';
import { Town } from '../src/index.js';
import { useTown } from './support.js';

async function exercise(town: Town): Promise<void> {
  const worker = await town.agents.register({ name: 'worker', cli: 'claude', role: 'backend' });
  await town.agents.register({ name: 'child', cli: 'codex', parent: 'worker' });
  const { task } = await town.tasks.assign('worker', `work for ${town.name}`);
  await town.messages.send({ to: 'worker', text: 'hello', urgent: true });
  await town.messages.send({ to: 'conductor', text: 'for the conductor', from: 'worker' });
  await town.agents.heartbeat(worker.id);
  await town.messages.takeRound(worker.id);
  await town.tasks.start(task.id);
  await town.tasks.complete(task.id, 'done');
  const queued = await town.backlog.add('later', { tags: 'a,b' });
  await town.backlog.claim(queued.id, 'child');
  await town.backlog.add('even later');
  await town.agents.interrupt('child');
  await town.agents.kill('child');
  await town.probes.hit('reads', 10, 1000);
  await town.probes.workerHeartbeat('w1');
}

describe('key schema', () => {
  const ctx = useTown('keys');

  it('every key written carries the town hash tag', async () => {
    await exercise(ctx.town);
    const keys = await ctx.redis.client.keys('*');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(key.startsWith('tt:{keys}:')).toBe(true);
  });

  it('towns named a, a-b and a.b never see each other', async () => {
    const towns = await Promise.all(
      ['a', 'a-b', 'a.b'].map((town) => Town.connect({ url: ctx.redis.url, town })),
    );
    try {
      for (const town of towns) await exercise(town);
      for (const town of towns) {
        expect((await town.agents.list()).map((agent) => agent.name).sort()).toEqual(['child', 'worker']);
        expect((await town.tasks.list()).map((task) => task.description)).toContain(`work for ${town.name}`);
        expect(
          (await town.tasks.list()).filter((task) => task.description.startsWith('work for')),
        ).toHaveLength(1);
        expect(await town.backlog.list()).toHaveLength(1);
        expect(await town.messages.history(100)).toHaveLength(2);
      }
      const reset = await towns[0]!.reset();
      expect(reset).toBeGreaterThan(0);
      expect(await towns[0]!.agents.list()).toEqual([]);
      // Only the self-expiring rate-limit counter outlives a full reset.
      expect(await ctx.redis.client.keys('tt:{a}:*')).toEqual(['tt:{a}:ratelimit:reads']);
      expect(await towns[1]!.agents.list()).toHaveLength(2);
      expect(await towns[2]!.tasks.list()).toHaveLength(3);
    } finally {
      await Promise.all(towns.map((town) => town.close()));
    }
  });

  it('refuses town names that are not safe in keys', async () => {
    await expect(Town.connect({ url: ctx.redis.url, town: 'a:b' })).rejects.toMatchObject({
      code: 'INVALID_NAME',
    });
    await expect(Town.connect({ url: ctx.redis.url, town: 'a*' })).rejects.toMatchObject({
      code: 'INVALID_NAME',
    });
  });
});
