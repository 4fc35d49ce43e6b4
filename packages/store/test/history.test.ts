import { randomInt } from 'node:crypto';
import { isTinytownError, TERMINAL_AGENT_STATES, type TownEvent } from '@tinytown/core';
import { useTestRedis } from '@tinytown/testkit';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActingAgent, type StoreSettings, Town, townKeys } from '../src/index.js';
import {
  checkHistory,
  checkStoreState,
  type OpKind,
  type OpRecord,
  type Rng,
  readStoreState,
  rngFor,
} from './history-checker.js';

/**
 * A property test of leases and recovery: agents on their own connections claim, start, complete, fail
 * and release backlog tasks in random order while some are killed or frozen past their lease, and a
 * reaper recovers them and either restarts them or sends their work back to the backlog. Afterwards a
 * checker replays the town's event stream against what every caller was told and what Redis holds
 * (history-checker.ts). Every actor draws its choices from its own PRNG derived from the seed, so
 * TT_HISTORY_SEED=<seed> replays the same decisions; the interleaving is still up to the machine, so a
 * replay makes the same kinds of trouble, not necessarily the same history.
 */
const SEED = seedFromEnv(process.env.TT_HISTORY_SEED) ?? randomInt(2 ** 31);

const TOWN = 'history';
const TASKS = 200;
const AGENTS = 6;
/** Agent steps over the whole run, shared by every life. */
const STEPS = 700;
/** An upper bound on the chaos phase on a slow machine; it ends earlier when the steps are spent. */
const CHAOS_MAX_MS = 8_000;
const LEASE_MS = 250;
/** Heartbeats well inside the lease, so that only the faults below let a lease lapse. */
const HEARTBEAT_MS = 50;
const REAPER_MS = 60;
/**
 * Odds, per store call, that the process dies right there or freezes long enough to lose its lease.
 * Task transitions get most of the stalls: a freeze just before one is what makes a stale start or a
 * late acknowledgement.
 */
const FAULTS = {
  transition: { kill: 0.005, stall: 0.03 },
  other: { kill: 0.003, stall: 0.002 },
} as const;
const SETTINGS: Partial<StoreSettings> = { leaseMs: LEASE_MS, spawnGraceMs: LEASE_MS };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seedFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`TT_HISTORY_SEED must be an integer, not ${value}`);
  return seed;
}

/** Thrown out of a life's loop when its process is killed. */
class LifeOver extends Error {}

/** Every task call made, by whom, and what the store answered. */
class OpLog {
  readonly ops: OpRecord[] = [];

  async record<T>(
    who: { agentId: string; life: number },
    kind: OpKind,
    taskId: string | null,
    call: () => Promise<T>,
    got?: (result: T) => Pick<OpRecord, 'taskId' | 'nextTaskId'>,
  ): Promise<T | undefined> {
    try {
      const result = await call();
      this.ops.push({ ...who, kind, taskId, ...got?.(result), outcome: 'ok' });
      return result;
    } catch (error) {
      if (error instanceof LifeOver) throw error;
      // Refusals are expected under races; the checker decides which ones are acceptable.
      const outcome = isTinytownError(error) ? error.code : `error: ${String(error)}`;
      this.ops.push({ ...who, kind, taskId, outcome });
      return undefined;
    }
  }
}

/**
 * One life of an agent: a process with its own connection and heartbeat timer, from registration or
 * restart until it is killed, told by a heartbeat that it was stopped, or the run's steps run out. It
 * never cleans up on the way out, as a killed process would not: whatever it held is the reaper's job.
 */
class Life {
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private held: { taskId: string; fromRound: boolean } | null = null;
  /** A restarted life first looks for its own tasks: recovery set them back to assigned, unannounced. */
  private lookForOwn: boolean;
  /** It acts on tasks as its agent, as the runtime and `tt task complete` inside a round do. */
  private readonly acting: ActingAgent;
  readonly finished: Promise<void>;

  constructor(
    private readonly chaos: Chaos,
    private readonly town: Town,
    readonly agentId: string,
    readonly life: number,
    private readonly rng: Rng,
  ) {
    this.lookForOwn = life > 0;
    this.acting = { by: agentId };
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.finished = this.loop();
  }

  private async beat(): Promise<void> {
    try {
      const { state } = await this.town.agents.heartbeat(this.agentId);
      if (TERMINAL_AGENT_STATES.includes(state)) this.stopped = true;
    } catch {
      // A killed life's connection is gone; its timer is about to be cleared.
    }
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && this.chaos.takeStep()) {
        if (this.held) await this.workOn(this.held);
        else await this.findWork();
      }
    } catch (error) {
      if (!(error instanceof LifeOver)) throw error;
    } finally {
      clearInterval(this.heartbeat);
      this.town.context.redis.disconnect();
    }
  }

  /** A store call, with the faults a real process meets around it. */
  private async call<T>(
    fn: () => Promise<T>,
    odds: { kill: number; stall: number } = FAULTS.other,
  ): Promise<T> {
    if (this.rng() < odds.kill) throw new LifeOver();
    if (this.rng() < odds.stall) {
      // Frozen (a GC pause, SIGSTOP, a sleeping laptop) past its lease, heartbeats included; thawed,
      // it carries on with the call it was about to make, and only its next heartbeat tells it whether
      // it was recovered meanwhile.
      clearInterval(this.heartbeat);
      await sleep(LEASE_MS * (1.2 + 1.8 * this.rng()));
      this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    }
    return fn();
  }

  private op<T>(
    kind: OpKind,
    taskId: string | null,
    fn: () => Promise<T>,
    got?: (result: T) => Pick<OpRecord, 'taskId' | 'nextTaskId'>,
  ): Promise<T | undefined> {
    const who = { agentId: this.agentId, life: this.life };
    return this.chaos.log.record(who, kind, taskId, () => this.call(fn, FAULTS.transition), got);
  }

  private async start(taskId: string): Promise<boolean> {
    return (await this.op('start', taskId, () => this.town.tasks.start(taskId, this.acting))) !== undefined;
  }

  private async findWork(): Promise<void> {
    const { agentId, town } = this;
    // Messages first, as the agent runtime does: a task_assign names a task for this agent to start
    // if it is still assigned to it (check, then act: the same window the runtime has).
    const round = await this.call(() => town.messages.takeRound(agentId, 1));
    const [message] = round;
    if (message?.type === 'task_assign') {
      const [task] = await this.call(() => town.tasks.getMany([message.task_id]));
      if (task?.assigned_to === agentId && task.state === 'assigned' && (await this.start(task.id))) {
        // The message stays in flight until the task is done: if this life dies, it is delivered again.
        this.held = { taskId: task.id, fromRound: true };
        return;
      }
    }
    if (round.length > 0) await this.call(() => town.messages.settleRound(agentId));
    if (this.lookForOwn) {
      const own = (await this.call(() => town.tasks.list({ agent: agentId }))).filter(
        (task) => task.state === 'assigned',
      );
      this.lookForOwn = own.length > 0;
      for (const task of own) {
        if (await this.start(task.id)) {
          this.held = { taskId: task.id, fromRound: false };
          return;
        }
      }
    }
    if (this.rng() < 0.5) {
      const claimed = await this.op(
        'claim_start',
        null,
        () => town.backlog.claimNext(agentId, undefined, { start: true }),
        (result) => ({ taskId: result?.task.id ?? null }),
      );
      if (claimed) {
        this.held = { taskId: claimed.task.id, fromRound: false };
        return;
      }
      if (claimed === undefined) return this.refused();
    } else {
      const claimed = await this.op(
        'claim',
        null,
        () => town.backlog.claimNext(agentId),
        (result) => ({ taskId: result?.task.id ?? null }),
      );
      // Its task_assign message is in the inbox now; the next step takes it.
      if (claimed) return;
      if (claimed === undefined) return this.refused();
    }
    // Nothing claimable right now; released and reclaimed work may come back.
    await sleep(1 + 4 * this.rng());
  }

  /** A claim is refused only to a stopped agent: like the runtime at its next heartbeat, this life exits. */
  private refused(): void {
    this.stopped = true;
  }

  private async workOn(held: { taskId: string; fromRound: boolean }): Promise<void> {
    const { taskId } = held;
    const { town } = this;
    const choice = this.rng();
    if (choice < 0.35) {
      // Still working: runs overlap with other agents' claims and with the reaper.
      await sleep(1 + 4 * this.rng());
      return;
    }
    let next: string | null = null;
    if (choice < 0.62) {
      await this.op('complete', taskId, () =>
        town.tasks.complete(taskId, `done by ${this.agentId}`, this.acting),
      );
    } else if (choice < 0.75) {
      const result = await this.op(
        'complete_next',
        taskId,
        () => town.tasks.completeAndClaimNext(taskId, undefined, this.acting),
        (done) => ({ taskId, nextTaskId: done.next?.id ?? null }),
      );
      next = result?.next?.id ?? null;
    } else if (choice < 0.87) {
      await this.op('fail', taskId, () => town.tasks.fail(taskId, 'it broke', this.acting));
    } else {
      await this.op('release', taskId, () => town.tasks.requeue(taskId, 'released', this.acting));
    }
    // Done or refused (the task had moved on without this agent), it is out of this agent's hands.
    if (held.fromRound) await this.call(() => town.messages.settleRound(this.agentId));
    this.held = next ? { taskId: next, fromRound: false } : null;
  }
}

/** The run: a population of lives, the shared step budget, and the reaper that replaces the dead. */
class Chaos {
  readonly log = new OpLog();
  /** What recover() said it did, summed over the run (the test adds its own final passes). */
  readonly reaped = { agents: 0, tasksRequeued: 0 };
  /** Failures of the harness itself (anything a life or the reaper threw unexpectedly). */
  readonly errors: string[] = [];
  private steps = STEPS;
  private stopping = false;
  private agentsMade = 0;
  private readonly latest = new Map<string, Life>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly rng: Rng;

  constructor(
    private readonly url: string,
    /** The reaper's and the spawner's own connection. */
    private readonly keeper: Town,
    private readonly seed: number,
  ) {
    this.rng = rngFor(seed, 'reaper');
  }

  takeStep(): boolean {
    if (this.steps <= 0) return false;
    this.steps -= 1;
    return true;
  }

  async run(): Promise<void> {
    for (let i = 0; i < AGENTS; i++) await this.spawnFresh();
    const cap = setTimeout(() => {
      this.steps = 0;
    }, CHAOS_MAX_MS);
    const reaper = this.reap();
    // Lives die and are replaced (after a lease) until the steps are spent.
    while (this.steps > 0 || this.inFlight.size > 0) await sleep(20);
    clearTimeout(cap);
    this.stopping = true;
    await reaper;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    work.then(
      () => this.inFlight.delete(work),
      (error: unknown) => {
        this.errors.push(String(error instanceof Error ? (error.stack ?? error) : error));
        this.inFlight.delete(work);
      },
    );
  }

  private async spawnFresh(): Promise<void> {
    const name = `agent-${this.agentsMade++}`;
    const agent = await this.keeper.agents.register({ name, cli: 'claude' });
    await this.startLife(agent.id, name, 0);
  }

  private async startLife(agentId: string, name: string, life: number): Promise<void> {
    const town = await Town.connect({ url: this.url, town: TOWN, settings: SETTINGS });
    const started = new Life(this, town, agentId, life, rngFor(this.seed, `${name}#${life}`));
    this.latest.set(agentId, started);
    this.track(started.finished);
  }

  private async reap(): Promise<void> {
    while (!this.stopping) {
      try {
        const { recovered, tasksRequeued } = await this.keeper.recovery.recover();
        this.reaped.agents += recovered.length;
        this.reaped.tasksRequeued += tasksRequeued;
        for (const agent of recovered) this.track(this.replace(agent.id, agent.name));
      } catch (error) {
        this.errors.push(`reaper: ${String(error)}`);
      }
      await sleep(REAPER_MS);
    }
  }

  /** What a supervisor does with a recovered agent: restart it, or reclaim its work and spawn another. */
  private async replace(agentId: string, name: string): Promise<void> {
    const old = this.latest.get(agentId);
    if (this.rng() < 0.5) {
      // Restarted only once its old process is gone (a restart while it lives would run two lives of
      // one agent, which nothing in the store can tell apart).
      await old?.finished.catch(() => undefined);
      if (!this.stopping && this.steps > 0) {
        await this.keeper.agents.restart(agentId);
        await this.startLife(agentId, name, (old?.life ?? 0) + 1);
        return;
      }
    }
    // Its work goes back to the backlog at once, though the process may only be frozen and come back.
    await this.keeper.recovery.reclaim({ toBacklog: true, from: agentId });
    if (!this.stopping && this.steps > 0) await this.spawnFresh();
  }
}

/** Reads the town's event stream from its first entry while the run goes on. */
class History {
  readonly events: TownEvent[] = [];
  private readonly abort = new AbortController();
  private readonly reading: Promise<void>;

  constructor(private readonly town: Town) {
    // The stream keeps only about its last 1,000 entries, which a run comes near (and passes with more
    // tasks), so it is read as it grows; upToNow's count of entries ever added says if any were missed.
    this.reading = (async () => {
      const follow = town.events.follow({ after: '0-0', signal: this.abort.signal, blockMs: 50 });
      for await (const event of follow) this.events.push(event);
    })();
  }

  /** Everything appended so far, and how many entries the stream has ever been given. */
  async upToNow(redis: Redis, key: string): Promise<{ events: TownEvent[]; added: number }> {
    const flat = (await redis.xinfo('STREAM', key)) as unknown[];
    const field = (name: string) => flat[flat.indexOf(name) + 1];
    const lastId = String(field('last-generated-id'));
    const deadline = Date.now() + 5_000;
    while (this.events.at(-1)?.id !== lastId && Date.now() < deadline) await sleep(10);
    return { events: [...this.events], added: Number(field('entries-added')) };
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
    await this.town.close();
  }
}

describe('history of leases, crashes and recovery', () => {
  const redis = useTestRedis();
  const keys = townKeys(TOWN);
  const cleanups: (() => Promise<void>)[] = [];
  const connect = async () => {
    const town = await Town.connect({ url: redis.current.url, town: TOWN, settings: SETTINGS });
    cleanups.push(() => town.close());
    return town;
  };
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(`random claims, completions, failures, kills and stalls: every task finished exactly once (seed ${SEED}; replay with TT_HISTORY_SEED=${SEED})`, async () => {
    const seed = `seed ${SEED} (TT_HISTORY_SEED=${SEED})`;
    const keeper = await connect();
    const history = new History(await Town.connect({ url: redis.current.url, town: TOWN }));
    cleanups.push(() => history.close());

    const seeded = await keeper.backlog.addMany(
      Array.from({ length: TASKS }, (_, i) => ({ description: `job ${i}` })),
    );
    const taskIds = seeded.map((task) => task.id);
    const chaos = new Chaos(redis.current.url, keeper, SEED);
    await chaos.run();
    expect(chaos.errors, seed).toEqual([]);

    // Every life is gone now. Their leases lapse; recover them all and send their work to the backlog.
    const deadline = Date.now() + 5_000;
    while ((await redis.current.client.zcard(keys.leases)) > 0 && Date.now() < deadline) {
      const { recovered, tasksRequeued } = await keeper.recovery.recover();
      chaos.reaped.agents += recovered.length;
      chaos.reaped.tasksRequeued += tasksRequeued;
      await sleep(REAPER_MS);
    }
    expect(await redis.current.client.zcard(keys.leases), `${seed}: leases left`).toBe(0);
    // Before anything is reclaimed, each task must be where the history says recovery left it: a
    // recovery that skipped a step would otherwise be papered over by the reclaim.
    const recovered = await history.upToNow(redis.current.client, keys.events);
    const recoveredReport = checkHistory({ taskIds, events: recovered.events, ops: chaos.log.ops });
    // Each recovery must have put back exactly the runs its agent held as the history has it.
    expect(chaos.reaped, `${seed}: what recover() reported`).toEqual({
      agents: recoveredReport.stats.recoveries,
      tasksRequeued: recoveredReport.stats.runsEndedByRecovery,
    });
    const recoveredStore = checkStoreState(
      await readStoreState(redis.current.client, keys),
      taskIds,
      recoveredReport.states,
      'recovered',
    );
    expect(recoveredStore.violations, `${seed}: after recovering everyone`).toEqual([]);
    await keeper.recovery.reclaim({ toBacklog: true });

    /** The whole history so far against what callers were told and what Redis holds at `phase`. */
    const checkpoint = async (phase: 'quiescent' | 'finished') => {
      const sofar = await history.upToNow(redis.current.client, keys.events);
      const report = checkHistory({ taskIds, events: sofar.events, ops: chaos.log.ops });
      const summary = `${seed}: ${JSON.stringify(report.stats)}`;
      expect(sofar.events.length, `${summary}: events missed by the reader`).toBe(sofar.added);
      expect(report.violations, summary).toEqual([]);
      const store = checkStoreState(
        await readStoreState(redis.current.client, keys),
        taskIds,
        report.states,
        phase,
      );
      expect(store.violations, summary).toEqual([]);
      return { report, store, summary };
    };

    const { report: chaosReport, store: atRestStore, summary } = await checkpoint('quiescent');
    // Acting as their agents, recovered lives could not finish, fail or start anything late.
    expect(chaosReport.stats.lateAcksAccepted, summary).toBe(0);
    expect(chaosReport.stats.startsUnderStoppedAgent, summary).toBe(0);
    // The run did what it is for (the odds of no kill or stall in it are below one in a million).
    expect(chaosReport.stats.recoveries, summary).toBeGreaterThan(0);
    expect(chaosReport.stats.completed, summary).toBeGreaterThan(0);

    // One healthy agent drains what is left, through the same log.
    const finisher = await connect();
    const me = { agentId: (await finisher.agents.register({ name: 'finisher', cli: 'claude' })).id, life: 0 };
    const first = await chaos.log.record(
      me,
      'claim_start',
      null,
      () => finisher.backlog.claimNext(me.agentId, undefined, { start: true }),
      (result) => ({ taskId: result?.task.id ?? null }),
    );
    let current = first?.task.id ?? null;
    while (current) {
      const taskId: string = current;
      const done = await chaos.log.record(
        me,
        'complete_next',
        taskId,
        () => finisher.tasks.completeAndClaimNext(taskId, 'drained'),
        (result) => ({ taskId, nextTaskId: result.next?.id ?? null }),
      );
      current = done?.next?.id ?? null;
    }

    const { report, summary: endSummary } = await checkpoint('finished');
    expect(report.stats.completed + report.stats.failed, endSummary).toBe(TASKS);
    if (process.env.TT_HISTORY_VERBOSE) {
      console.info(`${endSummary}; stale backlog ids at rest: ${atRestStore.staleBacklogIds}`);
    }
  });

  /**
   * The fence the random run relies on, case by case: an agent acting on a task (`by`) must still hold
   * it and still be live. A person or tool (no `by`) acts on the town and is only held to the task's state.
   */
  it('refuses late acknowledgements from a recovered agent, changing nothing, while a person can still finish its work', async () => {
    const town = await connect();
    const zombie = await town.agents.register({ name: 'zombie', cli: 'claude' });
    const [kept, handedOn, other] = await town.backlog.addMany([
      { description: 'kept by the zombie' },
      { description: 'handed on' },
      { description: 'also handed on' },
    ]);
    for (let i = 0; i < 3; i++) await town.backlog.claimNext(zombie.id, undefined, { start: true });
    await sleep(LEASE_MS + 50);
    expect((await town.recovery.recover()).recovered.map((agent) => agent.id)).toEqual([zombie.id]);

    // Recovered: stopped, its runs back to assigned. Nothing it does late goes through.
    const asZombie: ActingAgent = { by: zombie.id };
    const stopped = {
      code: 'INVALID_TRANSITION',
      message: expect.stringMatching(/^Agent zombie is stopped/),
    };
    await expect(town.tasks.complete(kept!.id, 'late', asZombie)).rejects.toMatchObject(stopped);
    await expect(town.tasks.completeAndClaimNext(kept!.id, 'late', asZombie)).rejects.toMatchObject(stopped);
    await expect(town.tasks.fail(kept!.id, 'late', asZombie)).rejects.toMatchObject(stopped);
    await expect(town.tasks.start(kept!.id, asZombie)).rejects.toMatchObject(stopped);
    expect(await town.tasks.get(kept!.id)).toMatchObject({ state: 'assigned', assigned_to: zombie.id });
    // A person may still finish it by hand.
    expect(await town.tasks.complete(kept!.id, 'by hand')).toMatchObject({ state: 'completed' });

    await town.recovery.reclaim({ toBacklog: true, from: 'zombie' });
    const heir = await town.agents.register({ name: 'heir', cli: 'claude' });
    await town.backlog.claimNext(heir.id, undefined, { start: true });
    await town.backlog.claimNext(heir.id, undefined, { start: true });
    // Restarted, the zombie is live again, but the runs it lost are the heir's now.
    await town.agents.restart(zombie.id);
    const notItsOwn = {
      code: 'INVALID_TRANSITION',
      message: `Task ${handedOn!.id} is not assigned to zombie`,
    };
    await expect(town.tasks.complete(handedOn!.id, 'late', asZombie)).rejects.toMatchObject(notItsOwn);
    await expect(town.tasks.unstart(handedOn!.id, asZombie)).rejects.toMatchObject(notItsOwn);
    await expect(town.tasks.requeue(handedOn!.id, 'late', asZombie)).rejects.toMatchObject(notItsOwn);
    for (const task of [handedOn!, other!]) {
      expect(await town.tasks.get(task.id)).toMatchObject({ state: 'running', assigned_to: heir.id });
    }
    await expect(town.tasks.complete(handedOn!.id, 'x', { by: 'nobody' })).rejects.toMatchObject({
      code: 'AGENT_NOT_FOUND',
    });

    // The heir finishes its own, by id or by name.
    expect(await town.tasks.complete(handedOn!.id, 'by the heir', { by: 'heir' })).toMatchObject({
      state: 'completed',
      result: 'by the heir',
    });
    expect(await town.tasks.fail(other!.id, 'blocked', { by: heir.id })).toMatchObject({ state: 'failed' });
  });
});
