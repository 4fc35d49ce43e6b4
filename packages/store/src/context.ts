import type { ChainableCommander, Redis } from 'ioredis';
import type { WriteCoalescing } from './coalesced-writes.js';
import type { TownKeys } from './keys.js';
import { queueScript, runScript, type ScriptName } from './scripts.js';

export interface StoreSettings {
  /** How long an agent's lease lasts without a heartbeat. */
  leaseMs: number;
  /** The lease a newly registered agent gets while its runtime starts. */
  spawnGraceMs: number;
  /** Messages kept in the town's history list. */
  historyMax: number;
}

/** The settings to change: each one left out, or given as `undefined`, keeps its default. */
export type StoreSettingsInput = { [K in keyof StoreSettings]?: StoreSettings[K] | undefined };

export const DEFAULT_SETTINGS: StoreSettings = { leaseMs: 30_000, spawnGraceMs: 60_000, historyMax: 500 };

/** A small pool of connections for blocking reads, so one waiting reader never stalls the others. */
export class BlockingPool {
  private readonly idle: Redis[] = [];
  private readonly all = new Set<Redis>();

  constructor(private readonly main: Redis) {}

  async use<T>(fn: (connection: Redis) => Promise<T>): Promise<T> {
    const connection = this.idle.pop() ?? this.open();
    try {
      return await fn(connection);
    } finally {
      if (this.all.has(connection)) this.idle.push(connection);
    }
  }

  private open(): Redis {
    const connection = this.main.duplicate({ maxRetriesPerRequest: null });
    connection.on('error', () => {});
    this.all.add(connection);
    return connection;
  }

  close(): void {
    for (const connection of this.all) connection.disconnect();
    this.all.clear();
    this.idle.length = 0;
  }
}

/** What every area of the store shares: the connection, the key schema and the script runner. */
export class StoreContext {
  constructor(
    readonly town: string,
    readonly keys: TownKeys,
    readonly redis: Redis,
    /** Whether `redis` holds a turn's commands until the turn ends. */
    readonly writes: WriteCoalescing,
    readonly blocking: BlockingPool,
    readonly settings: StoreSettings,
  ) {}

  run(name: ScriptName, params: Record<string, unknown>, raw: readonly string[] = []): Promise<unknown> {
    return runScript(this.redis, this.keys.prefix, name, params, raw);
  }

  /** Queues a script into a MULTI built on this context's connection. */
  queue(multi: ChainableCommander, name: ScriptName, params: Record<string, unknown>): void {
    queueScript(multi, this.keys.prefix, name, params);
  }
}
