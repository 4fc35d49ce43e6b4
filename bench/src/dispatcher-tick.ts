import { missionBenchPass, seedMissionBench } from '@tinytown/mission';
import { Town } from '@tinytown/store';
import { startTestRedis, type TestRedis } from '@tinytown/testkit';
import type { Scenario } from './scenario.js';

/**
 * Dispatcher cost: one pass over 100 running missions of 100 work items with 10 of them changing, and one
 * over 1,000 missions none of which is due, each beside an empty pass (no missions at all) measured on
 * the same server in the same run. The second must cost about what the empty one costs: a tick's work
 * grows with what is due, not with what exists.
 */

const ROUNDS = 5;
const IDLE_TARGET = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function timePass(
  server: TestRedis,
  seed: Parameters<typeof seedMissionBench>[1] | null,
  round: number,
): Promise<number> {
  await server.flush();
  const town = await Town.connect({ url: server.url, town: `bench-dispatch-${round}` });
  try {
    if (seed) await seedMissionBench(town, seed);
    const started = performance.now();
    await missionBenchPass(town);
    return performance.now() - started;
  } finally {
    await town.close();
  }
}

export const dispatcherTick: Scenario = {
  name: 'dispatcher',
  title: 'mission dispatcher pass: busy town and idle town vs an empty pass',
  async run(log) {
    const server = await startTestRedis();
    try {
      const empty: number[] = [];
      const busy: number[] = [];
      const idle: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        empty.push(await timePass(server, null, round));
        idle.push(await timePass(server, { missions: 1000, items: 3, changes: 0, due: false }, round));
        if (round < 3)
          busy.push(await timePass(server, { missions: 100, items: 100, changes: 10, due: true }, round));
        log(
          `  round ${round + 1}/${ROUNDS}: empty ${empty.at(-1)?.toFixed(2)} ms, idle ${idle.at(-1)?.toFixed(2)} ms`,
        );
      }
      const emptyMs = median(empty);
      return [
        {
          scenario: 'dispatcher',
          figure: '100 missions × 100 items, 10 changes: one pass',
          value: median(busy),
          anchor: 'empty pass',
          anchorValue: emptyMs,
          unit: 'ms',
          better: 'lower',
          target: null,
          note: `median of ${busy.length} passes, each on a freshly seeded town (the pass reads every due mission's items)`,
        },
        {
          scenario: 'dispatcher',
          figure: '1,000 missions, none due: one pass',
          value: median(idle),
          anchor: 'empty pass',
          anchorValue: emptyMs,
          unit: 'ms',
          better: 'lower',
          target: IDLE_TARGET,
          note: `median of ${ROUNDS}; the due-time index means missions that are not due cost nothing`,
        },
      ];
    } finally {
      await server.stop();
    }
  },
};
