import {
  ACTIVE_AGENT_STATES,
  AGENT_TRANSITIONS,
  type Agent,
  type AgentState,
  type AgentType,
  agentNotFound,
  CONDUCTOR_ID,
  isConductorAlias,
  isUuid,
  matchAgentRef,
  newId,
  nicknameFor,
  type SpawnMode,
  statesLeadingTo,
  TERMINAL_AGENT_STATES,
  TinytownError,
  validateName,
} from '@tinytown/core';
import { agentFromHash, type FlatHash, flatToHash } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall, requireLimit } from './errors.js';
import { sharedRead } from './shared-read.js';

export interface RegisterAgentInput {
  name: string;
  cli: string;
  role?: string | null | undefined;
  nickname?: string | null | undefined;
  /** Parent agent: any reference (name, UUID, nickname…). */
  parent?: string | null | undefined;
  spawnMode?: SpawnMode | undefined;
  agentType?: AgentType | undefined;
}

/** An agent with the lengths of its queues and the task in hand, as listings show it. */
export interface AgentWithQueues extends Agent {
  inbox_len: number;
  urgent_len: number;
  inflight_len: number;
  /** The description of `current_task`, if the agent has one. */
  current_scope: string | null;
}

/** A listing of every agent as of one roster revision; shared between callers, so frozen. */
export type Roster = readonly Readonly<AgentWithQueues>[];

/**
 * A roster with the revision it was read at: the revision changes whenever anything the listing shows
 * changes, so it can stand for the listing's version (an HTTP ETag). '' when the town has no revision
 * counter yet (data written before it existed, until the first write).
 */
export interface RosterListing {
  readonly revision: string;
  readonly agents: Roster;
}

/** Where a message or task can be addressed: an agent, or the conductor's mailbox. */
export interface Address {
  id: string;
  name: string;
}

export const CONDUCTOR_ADDRESS: Address = { id: CONDUCTOR_ID, name: 'conductor' };

export interface TransitionResult {
  agent: Agent;
  previous: AgentState;
}

interface TransitionOptions {
  event?: string;
  message?: string;
  activity?: string;
  stop?: 'kill' | 'close';
  clearStop?: boolean;
  resetRounds?: boolean;
  leaseMs?: number;
  /** Restrict the allowed starting states further than the state machine does. */
  from?: readonly AgentState[];
}

/** How long a roster move after a blocking pop may wait to be coalesced with the next ones. */
const ROSTER_MOVE_DELAY_MS = 1;

/** How many name → id resolutions a process keeps; past that it starts over. */
const REMEMBERED_NAMES = 10_000;

export class Agents {
  private readonly addressesByName = new Map<string, Address>();
  /** The last listing read, and the roster revision it was read at. */
  private roster: RosterListing | null = null;
  /** Listings being read, by the revision the callers waiting on them saw. */
  private readonly rosterReads = new Map<string, Promise<RosterListing>>();
  /** A roster move waiting to be sent (see rosterChangedSoon). */
  private pendingRosterMove: NodeJS.Timeout | null = null;
  /** The current roster revision ('' if the town has none yet); concurrent callers share GETs. */
  private readonly rosterRevision = sharedRead(async () => {
    const revision = this.ctx.redis.get(this.ctx.keys.roster);
    // Every caller of this read is waiting on it already: holding it for the turn's end gains nothing.
    this.ctx.writes.sendNow();
    return (await redisCall(revision)) ?? '';
  });

  constructor(private readonly ctx: StoreContext) {}

  async register(input: RegisterAgentInput): Promise<Agent> {
    validateName(input.name, 'agent');
    if (input.cli.trim() === '') {
      throw new TinytownError('INVALID_INPUT', 'cli: must not be empty', { field: 'cli' });
    }
    const parent = input.parent ? await this.resolve(input.parent) : null;
    const id = newId();
    const fields: Record<string, string | null> = {
      id,
      name: input.name,
      nickname: input.nickname?.trim() || nicknameFor(id),
      role_id: input.role?.trim() || null,
      parent_agent_id: parent?.id ?? null,
      spawn_mode: input.spawnMode ?? 'fresh',
      agent_type: input.agentType ?? 'worker',
      state: 'starting',
      cli: input.cli.trim(),
    };
    await this.ctx.run('registerAgent', { agent: fields, grace_ms: this.ctx.settings.spawnGraceMs });
    return this.get(id);
  }

  async get(id: string): Promise<Agent> {
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.agent(id)));
    if (!hash.id) throw agentNotFound(id);
    return agentFromHash(hash);
  }

  /**
   * Every agent with its queue lengths and the task in hand, oldest first. While the roster revision has
   * not moved this is one GET (shared with concurrent callers) and the listing read before;
   * otherwise one script reads it afresh, and callers that saw the same revision share that read. A
   * caller only ever gets a listing read at a revision fetched after it called, so it sees every write
   * that had completed by then, its own or another process's.
   */
  async list(): Promise<Roster> {
    return (await this.listing()).agents;
  }

  /** `list()` with the roster revision the listing was read at. */
  async listing(): Promise<RosterListing> {
    this.sendPendingRosterMove();
    const revision = await this.rosterRevision();
    if (this.roster && revision !== '' && this.roster.revision === revision) return this.roster;
    let read = this.rosterReads.get(revision);
    if (!read) {
      read = this.readRoster().finally(() => this.rosterReads.delete(revision));
      this.rosterReads.set(revision, read);
    }
    return read;
  }

  private async readRoster(): Promise<RosterListing> {
    const [revision, json] = (await this.ctx.run('listAgents', {})) as [string | null, string];
    const rows = JSON.parse(json) as {
      agent: FlatHash;
      inbox: number;
      urgent: number;
      inflight: number;
      scope?: string;
    }[];
    const agents: Roster = Object.freeze(
      rows
        .map((row) =>
          Object.freeze({
            ...agentFromHash(row.agent),
            inbox_len: row.inbox,
            urgent_len: row.urgent,
            inflight_len: row.inflight,
            current_scope: row.scope ?? null,
          }),
        )
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name)),
    );
    // Replies on one connection arrive in the order the reads were sent, so the last read to finish is
    // the newest. A town whose data predates the revision counter has none until its first write.
    const listing: RosterListing = { revision: revision ?? '', agents };
    this.roster = revision ? listing : null;
    return listing;
  }

  /** Finds the agent a reference means (UUID, name, nickname, `Nickname [role]`, short id). */
  async resolve(ref: string): Promise<Agent> {
    const wanted = ref.trim();
    if (wanted === '') throw agentNotFound(ref);
    if (isUuid(wanted)) return this.get(wanted.toLowerCase());
    const byName = (await this.ctx.run('findAgentByName', { name: wanted })) as string[] | null;
    if (byName) return agentFromHash(flatToHash(byName));
    return matchAgentRef(wanted, await this.list());
  }

  /** Like `resolve`, but `conductor`, `supervisor` and the conductor's id address the conductor's mailbox. */
  async resolveAddress(ref: string): Promise<Address> {
    if (isConductorAlias(ref) || ref.trim().toLowerCase() === CONDUCTOR_ID) return CONDUCTOR_ADDRESS;
    const agent = await this.resolve(ref);
    const address = { id: agent.id, name: agent.name };
    if (agent.name.toLowerCase() === ref.trim().toLowerCase()) this.rememberName(address);
    return address;
  }

  /**
   * Runs a write addressed to `ref`. An agent's name is resolved from memory when this process has
   * resolved it before, which saves the write a round trip. A remembered id can only be stale when its
   * agent was pruned (names are unique among existing agents), and every addressed script checks its
   * recipient exists before it writes anything; so a write that fails on the remembered id is run once
   * more with the name resolved afresh.
   */
  async addressed<T>(ref: string, write: (address: Address) => Promise<T>): Promise<T> {
    const remembered = this.addressesByName.get(ref.trim().toLowerCase());
    if (remembered) {
      try {
        return await write(remembered);
      } catch (error) {
        const stale =
          error instanceof TinytownError &&
          error.code === 'AGENT_NOT_FOUND' &&
          error.details.ref === remembered.id;
        if (!stale) throw error;
        this.addressesByName.delete(remembered.name.toLowerCase());
      }
    }
    return write(await this.resolveAddress(ref));
  }

  private rememberName(address: Address): void {
    if (this.addressesByName.size >= REMEMBERED_NAMES) this.addressesByName.clear();
    this.addressesByName.set(address.name.toLowerCase(), address);
  }

  /** Stops an agent now; a runtime mid-round sees the request at its next heartbeat and kills the CLI. */
  kill(ref: string): Promise<TransitionResult> {
    return this.transition(ref, 'stopped', {
      event: 'agent_stopped',
      stop: 'kill',
      activity: 'Stop requested',
      from: [...ACTIVE_AGENT_STATES, 'cold', 'error'],
    });
  }

  /** Drain, then stop: the runtime finishes its round and exits. */
  close(ref: string): Promise<TransitionResult> {
    return this.transition(ref, 'draining', {
      event: 'agent_stopped',
      stop: 'close',
      activity: 'Closing (draining then stop)',
    });
  }

  interrupt(ref: string): Promise<TransitionResult> {
    return this.transition(ref, 'paused', { event: 'agent_interrupted', activity: 'Interrupted (paused)' });
  }

  resume(ref: string): Promise<TransitionResult> {
    return this.transition(ref, 'idle', {
      event: 'agent_resumed',
      activity: 'Resumed',
      clearStop: true,
      from: ['paused'],
    });
  }

  /** A stopped or failed agent starts over: rounds reset, stop request cleared, a fresh start-up lease. */
  restart(ref: string): Promise<TransitionResult> {
    return this.transition(ref, 'starting', {
      activity: 'Restarted',
      clearStop: true,
      resetRounds: true,
      leaseMs: this.ctx.settings.spawnGraceMs,
      from: TERMINAL_AGENT_STATES,
    });
  }

  /** Any legal state change, checked and written atomically. */
  async transition(ref: string, to: AgentState, options: TransitionOptions = {}): Promise<TransitionResult> {
    const agent = await this.resolve(ref);
    const legal = statesLeadingTo(AGENT_TRANSITIONS, to);
    const from = options.from ? legal.filter((state) => options.from?.includes(state)) : legal;
    const previous = (await this.ctx.run('transitionAgent', {
      id: agent.id,
      from,
      to,
      event: options.event,
      message: options.message,
      activity: options.activity,
      stop: options.stop,
      clear_stop: options.clearStop,
      reset_rounds: options.resetRounds,
      lease_ms: options.leaseMs,
      default_lease_ms: this.ctx.settings.leaseMs,
    })) as AgentState;
    return { agent: await this.get(agent.id), previous };
  }

  /** Removes stopped and errored agents (or all of them) with their queues; returns their names. */
  async prune(options: { all?: boolean | undefined } = {}): Promise<string[]> {
    return (await this.ctx.run('pruneAgents', { all: options.all === true })) as string[];
  }

  /**
   * Renews the agent's lease. The reply tells a runtime whether it should keep going: a terminal state or
   * a stop request means stop.
   */
  async heartbeat(id: string): Promise<{ state: AgentState; stopRequested: 'kill' | 'close' | null }> {
    const [state, stop] = (await this.ctx.run('heartbeat', { id, lease_ms: this.ctx.settings.leaseMs })) as [
      AgentState,
      string,
    ];
    return { state, stopRequested: stop === 'kill' || stop === 'close' ? stop : null };
  }

  /** Counts a finished round. */
  async recordRound(id: string): Promise<void> {
    await this.ctx.run('recordRound', { id });
  }

  /**
   * Moves the roster revision, soon, after a change made outside a script (a blocking pop), so that
   * listings read afresh. Moves are coalesced, at most one per millisecond, so that a busy receiver does
   * not pay a round trip per message; a listing asked for from this Town in between sends the pending
   * move first, on the same connection, so this process always sees its own change.
   */
  rosterChangedSoon(): void {
    this.pendingRosterMove ??= setTimeout(() => this.sendPendingRosterMove(), ROSTER_MOVE_DELAY_MS);
  }

  /** Sends a pending roster move now (before a listing, or when the Town closes). */
  sendPendingRosterMove(): void {
    if (!this.pendingRosterMove) return;
    clearTimeout(this.pendingRosterMove);
    this.pendingRosterMove = null;
    // If Redis is gone, only a queue length in other processes' listings stays stale until the next write.
    this.ctx.run('touchRoster', {}).catch(() => undefined);
  }

  async logActivity(id: string, text: string): Promise<void> {
    const key = this.ctx.keys.activity(id);
    await redisCall(
      this.ctx.redis.multi().lpush(key, `${new Date().toISOString()} ${text}`).ltrim(key, 0, 49).exec(),
    );
  }

  /** The agent's recent activity lines, newest first. */
  async activity(ref: string, limit = 10): Promise<string[]> {
    requireLimit(limit);
    const agent = await this.resolve(ref);
    return redisCall(this.ctx.redis.lrange(this.ctx.keys.activity(agent.id), 0, limit - 1));
  }

  /** Waits until the agent is stopped, errored or cold, or the timeout passes. */
  async waitUntilTerminal(
    ref: string,
    options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {},
  ): Promise<{ agent: Agent; timedOut: boolean }> {
    const { id } = await this.resolve(ref);
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 500;
    for (;;) {
      const agent = await this.get(id);
      if (TERMINAL_AGENT_STATES.includes(agent.state)) return { agent, timedOut: false };
      if (Date.now() >= deadline || options.signal?.aborted) return { agent, timedOut: true };
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))),
      );
    }
  }
}
