import { resolve } from 'node:path';
import { type Agent, isUuid, TinytownError } from '@tinytown/core';
import {
  type ActingAgent,
  type LoadedTownConfig,
  loadTownConfig,
  redactRedisUrl,
  startLocalRedis,
  Town,
} from '@tinytown/store';
import type { Command } from 'commander';
import { Output } from './output.js';

export interface GlobalOptions {
  town?: string;
  json?: boolean;
  verbose?: boolean;
}

/** What a command knows about where it runs: the town directory, the output, the open connection. */
export class CliContext {
  readonly out: Output;
  private loaded: LoadedTownConfig | undefined;
  private opened: Town | undefined;

  constructor(readonly options: GlobalOptions) {
    this.out = new Output(options.json === true, options.verbose === true);
  }

  static of(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>());
  }

  /** `--town`, else `TT_TOWN`, else the current directory. */
  get root(): string {
    return resolve(this.options.town ?? process.env.TT_TOWN ?? process.cwd());
  }

  get config(): LoadedTownConfig {
    this.loaded ??= loadTownConfig(this.root);
    return this.loaded;
  }

  /** Whether the town uses its own embedded redis-server (no REDIS_URL, no `[redis] url`). */
  get usesLocalRedis(): boolean {
    return (
      this.config.redisUrl.startsWith('unix://') &&
      !process.env.REDIS_URL?.trim() &&
      !this.config.config.redis.url
    );
  }

  /** Starts the town's embedded Redis (detached) when it is the one in use and not running yet. */
  async ensureLocalRedis(): Promise<boolean> {
    if (!this.usesLocalRedis) return false;
    const stop = this.out.progress('Starting the town’s redis-server');
    try {
      const local = await startLocalRedis(this.config.root, {
        socketPath: this.config.config.redis.socket_path,
        detached: true,
      });
      return local.started;
    } finally {
      stop();
    }
  }

  async town(): Promise<Town> {
    if (this.opened) return this.opened;
    const { config, redisUrl } = this.config;
    try {
      this.opened = await Town.connect({
        url: redisUrl,
        town: config.name,
        settings: { leaseMs: config.agent.lease_secs * 1000 },
        connectionName: 'tt',
        maxRetriesPerRequest: 2,
      });
    } catch (error) {
      if (error instanceof TinytownError && error.code === 'REDIS_UNAVAILABLE' && this.usesLocalRedis) {
        throw new TinytownError(
          'REDIS_UNAVAILABLE',
          `The town's Redis is not running (${redactRedisUrl(redisUrl)}): start it with 'tt up' (in the foreground) or 'tt init' (in the background; it keeps tinytown.toml), or set REDIS_URL`,
          {},
          { cause: error },
        );
      }
      throw error;
    }
    return this.opened;
  }

  async close(): Promise<void> {
    const town = this.opened;
    this.opened = undefined;
    await town?.close();
  }
}

/** Who is running `tt`: an agent (inside a round, from its environment) or nobody in particular. */
export async function selfAgent(town: Town): Promise<Agent | undefined> {
  const id = process.env.TINYTOWN_AGENT_ID?.trim();
  if (id && isUuid(id)) {
    const agent = await town.agents.get(id.toLowerCase()).catch(() => undefined);
    if (agent) return agent;
  }
  const name = process.env.TINYTOWN_AGENT_NAME?.trim();
  if (name) return town.agents.resolve(name).catch(() => undefined);
  return undefined;
}

/**
 * Inside an agent's round, the agent acts on its tasks under its own name: a completion from a round
 * whose agent was recovered meanwhile is refused instead of ending the task's next holder's run. A
 * person at a terminal acts on the town as a whole.
 */
export function actingAgent(): ActingAgent {
  const id = process.env.TINYTOWN_AGENT_ID?.trim();
  if (id && isUuid(id)) return { by: id };
  const name = process.env.TINYTOWN_AGENT_NAME?.trim();
  return name ? { by: name } : {};
}

/** The agent a command is about: the argument, else the agent running `tt`. */
export async function agentArgOrSelf(town: Town, ref: string | undefined, what: string): Promise<Agent> {
  if (ref !== undefined) return town.agents.resolve(ref);
  const self = await selfAgent(town);
  if (self) return self;
  throw new TinytownError(
    'INVALID_INPUT',
    `${what}: name an agent (or run inside an agent round, where TINYTOWN_AGENT_ID is set)`,
    // Outside a round the argument is required: leaving it out is a wrong command line, as for 'tt inbox'.
    { field: 'agent', usage: true },
  );
}

// These parse an option's value: a bad one means the command line was wrong (exit 2), like an unknown option.
export function parseChoice<T extends string>(value: string, field: string, choices: readonly T[]): T {
  const lower = value.trim().toLowerCase();
  const found = choices.find((choice) => choice === lower);
  if (found === undefined) {
    throw new TinytownError(
      'INVALID_INPUT',
      `${field}: expected one of ${choices.join(', ')}, got '${value}'`,
      {
        field,
        usage: true,
      },
    );
  }
  return found;
}

export function parsePositiveInt(value: string, field: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new TinytownError('INVALID_INPUT', `${field}: expected a positive whole number, got '${value}'`, {
      field,
      usage: true,
    });
  }
  return parsed;
}

export function parseNonNegative(value: string, field: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new TinytownError('INVALID_INPUT', `${field}: expected a number of seconds, got '${value}'`, {
      field,
      usage: true,
    });
  }
  return parsed;
}
