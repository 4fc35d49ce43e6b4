import type { Task } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { startTestRedis, type TestRedis } from '@tinytown/testkit';
import { Queue, Worker } from 'bullmq';
import type { Row, Scenario } from './scenario.js';
import { inParallel, nowMs } from './stats.js';

/**
 * Task lifecycle throughput: backlog add → claim → start → complete for every task, with 50 registered
 * agents consuming at once, against BullMQ (addBulk, then a Worker with concurrency 50 and a no-op
 * processor) on the same private server in the same run. Both sides are timed end to end: from the
 * first add until the last task/job is completed. Each side runs ROUNDS times, alternating, on a
 * flushed server; the best round counts (the machine is shared, noise only ever slows a round down).
 *
 * Consumers take the oldest task with `backlog.claimNext(agent, undefined, { start: true })` (one
 * script: LPOP + claim + start), then `tasks.complete`. A smaller informational run uses `claimNext(agent, accepts)`, the
 * path agents with a role filter take (a page of LRANGE + HGETALLs filtered in JS, then one script
 * claiming the first accepted task still on the backlog; the claimers race over the same page).
 */

const TASKS = 20_000;
const CONSUMERS = 50;
/** Tasks per backlog.addMany call: one script each, short enough not to stall Redis. */
const ADD_BATCH = 1000;
const ROUNDS = 3;
/** The filtered claimNext path reads a page of tasks per claim, so its run is smaller. */
const FILTERED_TASKS = 500;

interface Timing {
  tasks: number;
  addMs: number;
  processMs: number;
}

const totalMs = (timing: Timing) => timing.addMs + timing.processMs;
const perSecond = (count: number, ms: number) => (count * 1000) / ms;

type Consume = (town: Town, agentId: string) => Promise<number>;

/** Claims the oldest task, starts and completes it, until the backlog is empty. */
function consumer(accepts?: (task: Task) => boolean): Consume {
  return async (town, agentId) => {
    let completed = 0;
    // claimNext with `start` claims and starts a task in one step; without a filter, completing it
    // claims and starts the next one in the same step (as a BullMQ worker fetches its next job).
    let current = (await town.backlog.claimNext(agentId, accepts, { start: true }))?.task ?? null;
    while (current) {
      if (accepts) {
        await town.tasks.complete(current.id);
        current = (await town.backlog.claimNext(agentId, accepts, { start: true }))?.task ?? null;
      } else {
        current = (await town.tasks.completeAndClaimNext(current.id)).next;
      }
      completed++;
    }
    return completed;
  };
}

async function runTinytown(
  server: TestRedis,
  round: string,
  tasks: number,
  consume: Consume,
): Promise<Timing> {
  await server.flush();
  const town = await Town.connect({ url: server.url, town: `bench-tasks-${round}` });
  try {
    const agents = await inParallel(CONSUMERS, (slot) =>
      town.agents.register({ name: `consumer-${slot}`, cli: 'bench' }),
    );

    const addStart = nowMs();
    for (let first = 0; first < tasks; first += ADD_BATCH) {
      const batch = Array.from({ length: Math.min(ADD_BATCH, tasks - first) }, (_, i) => ({
        description: `bench task ${first + i}`,
      }));
      await town.backlog.addMany(batch);
    }
    const addMs = nowMs() - addStart;

    const processStart = nowMs();
    const counts = await inParallel(CONSUMERS, (slot) => consume(town, agents[slot]!.id));
    const processMs = nowMs() - processStart;

    const completed = counts.reduce((sum, count) => sum + count, 0);
    const inState = await server.client.scard(town.context.keys.tasksInState('completed'));
    if (completed !== tasks || inState !== tasks) {
      throw new Error(
        `tinytown: ${completed} completed by consumers, ${inState} in state completed, of ${tasks}`,
      );
    }
    return { tasks, addMs, processMs };
  } finally {
    await town.close();
  }
}

async function runBullmq(server: TestRedis, round: string, jobs: number): Promise<Timing> {
  await server.flush();
  const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
  const name = `bench-jobs-${round}`;
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, async () => {}, { connection, concurrency: CONSUMERS, autorun: false });
  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    let completed = 0;
    const allCompleted = new Promise<void>((resolve, reject) => {
      worker.on('completed', () => {
        if (++completed === jobs) resolve();
      });
      worker.on('failed', (_job, error) => reject(error));
      worker.on('error', reject);
    });

    const addStart = nowMs();
    await queue.addBulk(Array.from({ length: jobs }, (_unused, i) => ({ name: 'task', data: { i } })));
    const addMs = nowMs() - addStart;

    const processStart = nowMs();
    void worker.run();
    await allCompleted;
    const processMs = nowMs() - processStart;
    return { tasks: jobs, addMs, processMs };
  } finally {
    await worker.close();
    await queue.close();
  }
}

function best(timings: readonly Timing[]): Timing {
  return timings.reduce((a, b) => (totalMs(b) < totalMs(a) ? b : a));
}

function describe(timing: Timing): string {
  return `add ${Math.round(timing.addMs)} ms + process ${Math.round(timing.processMs)} ms`;
}

async function run(log: (line: string) => void): Promise<Row[]> {
  const server = await startTestRedis();
  try {
    const bull: Timing[] = [];
    const town: Timing[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: BullMQ, ${TASKS} jobs, concurrency ${CONSUMERS}`);
      bull.push(await runBullmq(server, String(round), TASKS));
      log(`  ${describe(bull.at(-1)!)}`);
      log(`round ${round}/${ROUNDS}: tinytown, ${TASKS} tasks, ${CONSUMERS} agents, backlog.claimNext`);
      town.push(await runTinytown(server, String(round), TASKS, consumer()));
      log(`  ${describe(town.at(-1)!)}`);
    }
    log(`tinytown, ${FILTERED_TASKS} tasks, ${CONSUMERS} agents, backlog.claimNext with a filter`);
    const filtered = await runTinytown(
      server,
      'filtered',
      FILTERED_TASKS,
      consumer(() => true),
    );
    log(`  ${describe(filtered)}`);

    const b = best(bull);
    const t = best(town);
    const anchor = `BullMQ addBulk + Worker c=${CONSUMERS}`;
    const rate = (timing: Timing) => perSecond(timing.tasks, totalMs(timing));
    return [
      {
        scenario: 'tasks',
        figure: 'add → claim → start → complete',
        value: rate(t),
        anchor,
        anchorValue: rate(b),
        unit: '/s',
        better: 'higher',
        target: 1,
        note: `${TASKS.toLocaleString('en-US')} tasks, ${CONSUMERS} agents on one Town connection, best of ${ROUNDS} (aim 1.5×). Tinytown ${describe(t)} (backlog.addMany in batches of ${ADD_BATCH}); BullMQ ${describe(b)}. Per task: one tasks.completeAndClaimNext (complete + claim and start the next)`,
      },
      {
        scenario: 'tasks',
        figure: 'backlog.add phase',
        value: perSecond(t.tasks, t.addMs),
        anchor: 'BullMQ addBulk',
        anchorValue: perSecond(b.tasks, b.addMs),
        unit: '/s',
        better: 'higher',
        target: null,
      },
      {
        scenario: 'tasks',
        figure: 'claim → start → complete phase',
        value: perSecond(t.tasks, t.processMs),
        anchor: 'BullMQ Worker processing',
        anchorValue: perSecond(b.tasks, b.processMs),
        unit: '/s',
        better: 'higher',
        target: null,
      },
      {
        scenario: 'tasks',
        figure: `same, claimNext with a filter (${FILTERED_TASKS.toLocaleString('en-US')} tasks)`,
        value: rate(filtered),
        anchor,
        anchorValue: rate(b),
        unit: '/s',
        better: 'higher',
        target: null,
        note: `the path of agents with a role filter: a page of LRANGE + HGETALL per task filtered in JS, then one script claims the first accepted task still there, ${CONSUMERS} claimers racing over the same page (filter accepts everything). ${describe(filtered)}`,
      },
    ];
  } finally {
    await server.stop();
  }
}

export const taskThroughput: Scenario = {
  name: 'tasks',
  title: 'backlog add → claim → start → complete vs BullMQ',
  run,
};
