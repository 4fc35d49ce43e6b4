import { Town } from '@tinytown/store';
import { useTestRedis } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';
import { runOnePass, startWorker } from '../src/index.js';

const LEASE_MS = 200;

describe('tinytown-worker and agents whose lease ran out', () => {
  const redis = useTestRedis();

  /** A town on a short agent lease, with one idle agent whose lease has already run out. */
  async function townWithSilentAgent(name: string): Promise<Town> {
    const town = await Town.connect({
      url: redis.current.url,
      town: name,
      settings: { leaseMs: LEASE_MS, spawnGraceMs: LEASE_MS },
    });
    const agent = await town.agents.register({ name: 'backend-1', cli: 'fake' });
    await town.agents.transition('backend-1', 'idle');
    await town.agents.heartbeat(agent.id);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    return town;
  }

  it('says which agent it stopped and how to get its work going again', async () => {
    const town = await townWithSilentAgent('reap');
    const lines: string[] = [];
    const worker = await startWorker({
      town,
      intervalMs: 50,
      metricsPort: 0,
      log: (line) => lines.push(line),
    });
    try {
      const deadline = Date.now() + 5_000;
      while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(lines).toEqual([
        "tinytown-worker: agent backend-1 stopped: its lease ran out (no heartbeat); its queued work waits for 'tt restart backend-1' or 'tt reclaim'",
      ]);
      expect((await town.agents.resolve('backend-1')).state).toBe('stopped');
      const metrics = await worker.registry.getSingleMetricAsString('tinytown_worker_agents_reaped_total');
      expect(metrics).toMatch(/^tinytown_worker_agents_reaped_total 1$/m);
    } finally {
      await worker.stop();
      await town.close();
    }
  });

  it('--once says it too, beside the count in its summary', async () => {
    const town = await townWithSilentAgent('reaponce');
    const lines: string[] = [];
    try {
      const { summary } = await runOnePass({ town, log: (line) => lines.push(line) });
      expect(summary).toMatch(/; agents recovered 1$/);
      expect(lines).toEqual([
        expect.stringMatching(/^tinytown-worker: agent backend-1 stopped: its lease ran out/),
      ]);
    } finally {
      await town.close();
    }
  });
});
