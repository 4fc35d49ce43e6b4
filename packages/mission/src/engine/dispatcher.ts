import { isTinytownError, newId, parseId } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import type { Forge } from '../forge/forge.js';
import type { AgentPool } from './draft.js';
import { type HelpPolicy, loadAgentPool, type MissionTickResult, tickMission } from './tick.js';
import type { WatchEngineOptions } from './watch-engine.js';

export interface DispatcherOptions {
  town: Town;
  forge?: Forge | null | undefined;
  /** Identifies this replica (heartbeats, logs). */
  id?: string | undefined;
  /** Pause between passes. Default 5 s. */
  intervalMs?: number | undefined;
  /** How long a mission lease lasts without renewal. Default 30 s; renewed every third of it. */
  leaseMs?: number | undefined;
  /** Missions ticked at once within one pass. Default 8. */
  concurrency?: number | undefined;
  /** At most this many due missions per pass. Default 500. */
  batch?: number | undefined;
  /**
   * Only this mission (its full id; one that is no UUID is refused with INVALID_ID when the dispatcher is
   * built), ticked on every pass whether it is due or not: to follow one mission closely, or to drive a
   * single mission from a script. Other missions are left to other workers.
   */
  mission?: string | undefined;
  /** How soon a mission with work in flight looks again. Default: the interval. */
  pollMs?: number | undefined;
  /** Each field left out, or `undefined`, keeps its default (`DEFAULT_HELP_POLICY`). */
  help?: { [K in keyof HelpPolicy]?: HelpPolicy[K] | undefined } | undefined;
  watch?: WatchEngineOptions | undefined;
  /** Run the agent lease reaper (`recovery.recover()`) each pass. Default true. */
  reap?: boolean | undefined;
  now?: (() => Date) | undefined;
  onTick?: ((result: DispatcherPassResult) => void) | undefined;
  onError?: ((error: unknown, missionId: string | null) => void) | undefined;
}

export interface DispatcherPassResult {
  startedAt: Date;
  durationMs: number;
  due: number;
  ticked: MissionTickResult[];
  /** Due missions another replica held. */
  skipped: number;
  /** Ticks that lost their lease or failed (nothing they did was written). */
  failed: number;
  /** Names of the agents this pass's reaper stopped because their lease had run out. */
  reaped: string[];
}

/** A mission whose tick failed is retried after this long. */
export const ERROR_RETRY_MS = 60_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Shuffles in place: replicas that see the same due list try its missions in different orders. */
function shuffle<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}

/**
 * The mission dispatcher: each pass reaps expired agent leases, reads the missions that are due (their
 * wake or a watch), and ticks each one it can lease. Any number of replicas may run over one town: a
 * mission is ticked by whoever holds its lease, and a tick that lost its lease writes nothing.
 */
export class Dispatcher {
  readonly id: string;
  private readonly town: Town;
  private readonly options: DispatcherOptions;
  private readonly intervalMs: number;
  private readonly leaseMs: number;
  private readonly held = new Map<string, number>();
  private readonly renewals = new Set<ReturnType<typeof setInterval>>();
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private current: Promise<DispatcherPassResult> | null = null;
  private killed = false;
  private readonly mission: string | undefined;
  lastPassAt: number | null = null;
  passes = 0;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.town = options.town;
    this.id = options.id ?? `dispatcher-${newId().slice(0, 8)}`;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    // Refused here, not on every pass: a mission id that is no UUID can never be ticked.
    this.mission = options.mission === undefined ? undefined : parseId(options.mission, 'mission');
  }

  /** Mission leases this replica holds right now. */
  get leasesHeld(): number {
    return this.held.size;
  }

  get running(): boolean {
    return this.loop !== null;
  }

  /** One pass over the due missions (or the one mission this dispatcher is for). */
  async pass(): Promise<DispatcherPassResult> {
    const startedAt = this.options.now?.() ?? new Date();
    const result: DispatcherPassResult = {
      startedAt,
      durationMs: 0,
      due: 0,
      ticked: [],
      skipped: 0,
      failed: 0,
      reaped: [],
    };
    if (this.options.reap !== false) {
      try {
        result.reaped = (await this.town.recovery.recover()).recovered.map((agent) => agent.name);
      } catch (error) {
        this.options.onError?.(error, null);
      }
    }
    const due =
      this.mission !== undefined
        ? [this.mission]
        : shuffle(await this.town.missions.due(startedAt.getTime(), this.options.batch ?? 500));
    result.due = due.length;
    if (due.length > 0) {
      const pool = await loadAgentPool(this.town);
      let next = 0;
      const worker = async () => {
        while (next < due.length && !this.killed) {
          const missionId = due[next++];
          if (!missionId) continue;
          const outcome = await this.tickOne(missionId, pool);
          if (outcome === 'held') result.skipped += 1;
          else if (outcome === 'failed') result.failed += 1;
          else result.ticked.push(outcome);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, due.length) }, worker));
    }
    result.durationMs = Date.now() - startedAt.getTime();
    this.lastPassAt = Date.now();
    this.passes += 1;
    this.options.onTick?.(result);
    return result;
  }

  private async tickOne(missionId: string, pool: AgentPool): Promise<MissionTickResult | 'held' | 'failed'> {
    const token = await this.town.missions.acquireLease(missionId, this.leaseMs);
    if (token === null) return 'held';
    this.held.set(missionId, token);
    // Long ticks (slow forges) keep their lease; a tick that loses it anyway writes nothing.
    const renew = setInterval(
      () => {
        this.town.missions.renewLease(missionId, token, this.leaseMs).catch(() => false);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.renewals.add(renew);
    try {
      return await tickMission(this.town, missionId, token, pool, {
        forge: this.options.forge ?? null,
        now: this.options.now?.(),
        pollMs: this.options.pollMs ?? this.intervalMs,
        help: this.options.help,
        watch: this.options.watch,
      });
    } catch (error) {
      if (!isTinytownError(error, 'LEASE_LOST')) {
        this.options.onError?.(error, missionId);
        // Still ours: log it on the mission and look again in a minute, not on every pass.
        const message = error instanceof Error ? error.message : String(error);
        await this.town.missions
          .commit(missionId, token, {
            wakeAtMs: Date.now() + ERROR_RETRY_MS,
            events: [`Tick failed (retrying in ${ERROR_RETRY_MS / 1000}s): ${message}`],
          })
          .catch(() => 0);
      }
      return 'failed';
    } finally {
      clearInterval(renew);
      this.renewals.delete(renew);
      // A killed replica leaves its leases to expire, like a crashed process.
      if (!this.killed) {
        this.held.delete(missionId);
        await this.town.missions.releaseLease(missionId, token).catch(() => false);
      }
    }
  }

  /** Runs passes until `stop()`: one pass, then the interval, and so on. */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        this.current = this.pass().catch((error: unknown) => {
          this.options.onError?.(error, null);
          return null as unknown as DispatcherPassResult;
        });
        await this.current;
        this.current = null;
        if (signal.aborted) break;
        await sleep(this.intervalMs, signal);
      }
    })();
  }

  /** Finishes the pass in progress, releases every lease, and stops. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = null;
    for (const [missionId, token] of this.held) {
      await this.town.missions.releaseLease(missionId, token).catch(() => false);
    }
    this.held.clear();
  }

  /**
   * Stops as if the process died mid-pass: no more ticks start, nothing is released (tests; leases expire).
   */
  kill(): void {
    this.killed = true;
    this.abort.abort();
    for (const renew of this.renewals) clearInterval(renew);
    this.renewals.clear();
  }
}
