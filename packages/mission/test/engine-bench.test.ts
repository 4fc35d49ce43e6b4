import { describe, expect, it } from 'vitest';
import { missionBenchPass, seedMissionBench } from '../src/index.js';
import { useMissionTown } from './support/mission-town.js';

describe('dispatcher benchmark helpers', () => {
  const ctx = useMissionTown('bench');

  it('a pass over due missions ticks each once and makes exactly the seeded changes', async () => {
    await seedMissionBench(ctx.town, { missions: 20, items: 30, changes: 5, due: true });
    const result = await missionBenchPass(ctx.town);
    expect(result.due).toBe(20);
    expect(result.ticked).toHaveLength(20);
    expect(result.ticked.reduce((n, tick) => n + tick.assigned.length, 0)).toBe(5);
    expect(result.ticked.reduce((n, tick) => n + tick.reconciled.length, 0)).toBe(0);
  });

  it('a pass over missions none of which is due reads nothing else', async () => {
    await seedMissionBench(ctx.town, { missions: 50, items: 10, changes: 0, due: false });
    const result = await missionBenchPass(ctx.town);
    expect(result).toMatchObject({ due: 0, ticked: [], skipped: 0 });
  });
});
