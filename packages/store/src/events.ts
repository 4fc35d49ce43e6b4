import { parseId, TinytownError, type TownEvent } from '@tinytown/core';
import type { Agents } from './agents.js';
import { eventFromEntry } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall, requireLimit } from './errors.js';

type StreamEntry = [string, string[]];

/** Where events come from: the town (neither), one agent, or one mission. */
export interface EventSource {
  agent?: string | undefined;
  mission?: string | undefined;
}

/** Entries read per step when only some of them are wanted. */
const FILTERED_PAGE = 200;

export class Events {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
  ) {}

  /**
   * The newest events, newest first: the town's, or with `agent` that agent's stream, or with `mission`
   * that mission's activity (read from the town stream, which keeps the last 1,000 or so events).
   */
  async recent(options: { limit?: number | undefined } & EventSource = {}): Promise<TownEvent[]> {
    const limit = requireLimit(options.limit ?? 20);
    const { key, accepts } = await this.source(options);
    const found: TownEvent[] = [];
    let end = '+';
    // Unfiltered, one page is the answer; filtered, page back until enough match or the stream ends.
    for (;;) {
      const page = accepts ? FILTERED_PAGE : limit;
      const entries = (await redisCall(
        this.ctx.redis.xrevrange(key, end, '-', 'COUNT', page),
      )) as StreamEntry[];
      for (const [id, fields] of entries) {
        const event = eventFromEntry(id, fields);
        if (event && (!accepts || accepts(event))) found.push(event);
        if (found.length === limit) return found;
      }
      const last = entries.at(-1);
      if (!accepts || !last || entries.length < page) return found;
      end = `(${last[0]}`;
    }
  }

  /**
   * Yields events as they are appended, each exactly once, oldest first, starting after `after`
   * (default: now). Stops when `signal` aborts.
   */
  async *follow(
    options: EventSource & {
      after?: string | undefined;
      signal?: AbortSignal | undefined;
      blockMs?: number | undefined;
    } = {},
  ): AsyncGenerator<TownEvent> {
    const { key, accepts } = await this.source(options);
    let cursor = options.after ?? '$';
    if (cursor === '$') {
      const [last] = (await redisCall(this.ctx.redis.xrevrange(key, '+', '-', 'COUNT', 1))) as StreamEntry[];
      cursor = last?.[0] ?? '0-0';
    }
    while (!options.signal?.aborted) {
      // XREAD is exclusive of the id it is given, so the last event is never repeated.
      const reply = (await this.ctx.blocking.use((connection) =>
        redisCall(connection.xread('COUNT', 100, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', key, cursor)),
      )) as [string, StreamEntry[]][] | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          cursor = id;
          const event = eventFromEntry(id, fields);
          if (event && (!accepts || accepts(event))) yield event;
        }
      }
    }
  }

  private async source(
    options: EventSource,
  ): Promise<{ key: string; accepts?: (event: TownEvent) => boolean }> {
    if (options.agent !== undefined && options.mission !== undefined) {
      throw new TinytownError('INVALID_INPUT', 'agent and mission: ask for one or the other', {
        field: 'mission',
      });
    }
    if (options.mission !== undefined) {
      const missionId = parseId(options.mission, 'mission_id');
      return { key: this.ctx.keys.events, accepts: (event) => event.mission_id === missionId };
    }
    if (options.agent === undefined) return { key: this.ctx.keys.events };
    const agent = await this.agents.resolve(options.agent);
    return { key: this.ctx.keys.agentEvents(agent.id) };
  }
}
