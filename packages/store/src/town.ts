import { validateName } from '@tinytown/core';
import type { Redis } from 'ioredis';
import { Agents } from './agents.js';
import { Backlog } from './backlog.js';
import { coalesceWritesPerTurn, UNCOALESCED, type WriteCoalescing } from './coalesced-writes.js';
import { type ConnectionOptions, connectRedis, redactRedisUrl } from './connection.js';
import {
  BlockingPool,
  DEFAULT_SETTINGS,
  StoreContext,
  type StoreSettings,
  type StoreSettingsInput,
} from './context.js';
import { redisCall } from './errors.js';
import { Events } from './events.js';
import { townKeys } from './keys.js';
import { Messages } from './messages.js';
import { Missions } from './missions/index.js';
import { Probes } from './probes.js';
import { Recovery } from './recovery.js';
import { defineScripts } from './scripts.js';
import { Tasks } from './tasks.js';

export interface ConnectTownOptions extends ConnectionOptions {
  /** Redis URL: `redis://`, `rediss://` or `unix://`. */
  url: string;
  /** The town's name (1-64 of letters, digits, `.`, `_`, `-`). */
  town: string;
  settings?: StoreSettingsInput | undefined;
}

/**
 * The town: every operation on agents, tasks, messages, the backlog, recovery and events, each one
 * atomic in Redis. One instance per process; it owns its connections until `close()`.
 */
export class Town {
  readonly agents: Agents;
  readonly tasks: Tasks;
  readonly messages: Messages;
  readonly backlog: Backlog;
  readonly recovery: Recovery;
  readonly events: Events;
  readonly probes: Probes;
  readonly missions: Missions;

  private constructor(
    private readonly ctx: StoreContext,
    readonly redisUrl: string,
    /** Whether `close()` quits the connection: a `Town.over` caller keeps owning theirs. */
    private readonly ownsConnection: boolean,
  ) {
    this.agents = new Agents(ctx);
    this.tasks = new Tasks(ctx, this.agents);
    this.messages = new Messages(ctx, this.agents);
    this.backlog = new Backlog(ctx, this.agents, this.tasks);
    this.recovery = new Recovery(ctx, this.agents, this.tasks);
    this.events = new Events(ctx, this.agents);
    this.probes = new Probes(ctx);
    this.missions = new Missions(ctx);
  }

  static async connect(options: ConnectTownOptions): Promise<Town> {
    validateName(options.town, 'town');
    const redis = await connectRedis(options.url, options);
    return Town.build(redis, options.town, options.url, options.settings, coalesceWritesPerTurn(redis), true);
  }

  /**
   * A Town over a connection the caller already holds. The caller keeps owning it: `close()` releases
   * only what the Town opened itself and leaves that connection open.
   */
  static over(redis: Redis, town: string, url = '', settings: StoreSettingsInput = {}): Town {
    return Town.build(redis, town, url, settings, UNCOALESCED, false);
  }

  private static build(
    redis: Redis,
    town: string,
    url: string,
    settings: StoreSettingsInput | undefined,
    writes: WriteCoalescing,
    ownsConnection: boolean,
  ): Town {
    defineScripts(redis);
    const ctx = new StoreContext(
      town,
      townKeys(town),
      redis,
      writes,
      new BlockingPool(redis),
      withDefaults(settings),
    );
    return new Town(ctx, url, ownsConnection);
  }

  get name(): string {
    return this.ctx.town;
  }

  get settings(): Readonly<StoreSettings> {
    return this.ctx.settings;
  }

  /** The Redis URL with any password masked. */
  get redactedUrl(): string {
    return redactRedisUrl(this.redisUrl);
  }

  /** Deletes the town's data through its indexes: everything, or only agents and their queues. */
  async reset(options: { agentsOnly?: boolean | undefined } = {}): Promise<number> {
    const missionKeys = options.agentsOnly === true ? 0 : await this.missions.reset();
    const coreKeys = (await this.ctx.run('resetTown', {
      agents_only: options.agentsOnly === true,
      extra_keys: this.resetExtraKeys,
    })) as number;
    return missionKeys + coreKeys;
  }

  /** Keys (relative to the town prefix) that a full reset deletes besides the core indexes. */
  private readonly resetExtraKeys: string[] = ['workers'];

  /** The store's context, for packages that extend the store with their own areas (missions). */
  get context(): StoreContext {
    return this.ctx;
  }

  async close(): Promise<void> {
    this.ctx.blocking.close();
    // Queued ahead of QUIT on the same connection, so it is not lost.
    this.agents.sendPendingRosterMove();
    if (!this.ownsConnection) return;
    await redisCall(this.ctx.redis.quit()).catch(() => this.ctx.redis.disconnect());
  }
}

/** Each setting left out, or given as `undefined`, takes its default (a spread would copy the undefined). */
function withDefaults(settings: StoreSettingsInput = {}): StoreSettings {
  const pick = <K extends keyof StoreSettings>(key: K): StoreSettings[K] =>
    settings[key] ?? DEFAULT_SETTINGS[key];
  return { leaseMs: pick('leaseMs'), spawnGraceMs: pick('spawnGraceMs'), historyMax: pick('historyMax') };
}
