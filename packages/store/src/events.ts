import type { TownEvent } from '@tinytown/core';
import type { Agents } from './agents.js';
import { eventFromEntry } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';

type StreamEntry = [string, string[]];

export class Events {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
  ) {}

  /** The newest events, newest first; with `agent`, only that agent's stream. */
  async recent(options: { limit?: number; agent?: string } = {}): Promise<TownEvent[]> {
    const key = await this.streamKey(options.agent);
    const entries = (await redisCall(
      this.ctx.redis.xrevrange(key, '+', '-', 'COUNT', options.limit ?? 20),
    )) as StreamEntry[];
    return entries
      .map(([id, fields]) => eventFromEntry(id, fields))
      .filter((event): event is TownEvent => event !== undefined);
  }

  /**
   * Yields events as they are appended, each exactly once, oldest first, starting after `after`
   * (default: now). Stops when `signal` aborts.
   */
  async *follow(
    options: { agent?: string; after?: string; signal?: AbortSignal; blockMs?: number } = {},
  ): AsyncGenerator<TownEvent> {
    const key = await this.streamKey(options.agent);
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
          if (event) yield event;
        }
      }
    }
  }

  private async streamKey(agentRef?: string): Promise<string> {
    if (agentRef === undefined) return this.ctx.keys.events;
    const agent = await this.agents.resolve(agentRef);
    return this.ctx.keys.agentEvents(agent.id);
  }
}
