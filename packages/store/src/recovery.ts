import {
  type Agent,
  type AgentState,
  CONDUCTOR_ID,
  isTerminalAgentState,
  isTerminalTaskState,
  type Message,
  type Task,
  TERMINAL_AGENT_STATES,
  TinytownError,
} from '@tinytown/core';
import type { Address, Agents } from './agents.js';
import { decodeMessage } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';
import { assignEnvelope } from './message-factory.js';
import type { Tasks } from './tasks.js';

export interface RecoverResult {
  /** Agents whose leases were looked at. */
  checked: number;
  /** Agents that were stopped because their lease had run out, as they were before. */
  recovered: Agent[];
  messagesReturned: number;
  tasksRequeued: number;
}

export type ReclaimDestination = { kind: 'backlog' } | { kind: 'agent'; agent: Address } | { kind: 'listed' };

export interface ReclaimableWork {
  agent: Address;
  messages: Message[];
  tasks: Task[];
}

export interface ReclaimResult {
  reclaimed: number;
  destination: ReclaimDestination;
  /** What a dead agent holds (list mode), or what was left behind because the destination cannot take it. */
  work: ReclaimableWork[];
}

export type OrphanReason = 'agent_missing' | 'agent_terminal';
export interface OrphanTask {
  task: Task;
  reason: OrphanReason;
}
export type OrphanAction = 'list' | 'to_backlog' | 'cancel' | 'delete';

export class Recovery {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
    private readonly tasks: Tasks,
  ) {}

  /** Ids of agents whose lease has run out, oldest first: what the reaper works through. */
  async expiredLeases(now = Date.now(), limit = 100): Promise<string[]> {
    return redisCall(this.ctx.redis.zrangebyscore(this.ctx.keys.leases, '-inf', now, 'LIMIT', 0, limit));
  }

  /**
   * Stops every agent whose lease ran out and puts its in-flight messages back in its queues and its
   * running task back to assigned. Safe to run from any number of processes at once.
   */
  /**
   * Ids of live agents with no lease at all, silent for longer than a lease lasts: their entry was
   * evicted, restored away or deleted by hand, so no expiry would ever bring their work back.
   */
  async unleasedAgents(now = Date.now()): Promise<string[]> {
    const { keys, redis, settings } = this.ctx;
    const ids = await redisCall(redis.smembers(keys.agents));
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) {
      pipeline.hmget(keys.agent(id), 'state', 'last_heartbeat');
      pipeline.zscore(keys.leases, id);
    }
    const replies = (await redisCall(pipeline.exec())) ?? [];
    return ids.filter((_, index) => {
      const [state, beat] = (replies[index * 2]?.[1] ?? []) as (string | null)[];
      const lease = replies[index * 2 + 1]?.[1] as string | null | undefined;
      if (lease !== null || !state || isTerminalAgentState(state as AgentState)) return false;
      return now - Date.parse(beat ?? '') > settings.leaseMs;
    });
  }

  async recover(): Promise<RecoverResult> {
    const checked = await redisCall(this.ctx.redis.zcard(this.ctx.keys.leases));
    const result: RecoverResult = { checked, recovered: [], messagesReturned: 0, tasksRequeued: 0 };
    const lost = [...(await this.expiredLeases()), ...(await this.unleasedAgents())];
    for (const id of new Set(lost)) {
      const before = await this.agents.get(id).catch(() => undefined);
      const [recovered, returned, requeued] = (await this.ctx.run('reapAgent', { id })) as [
        number,
        number,
        number,
      ];
      result.messagesReturned += returned;
      result.tasksRequeued += requeued;
      if (recovered === 1 && before) result.recovered.push(before);
    }
    return result;
  }

  /**
   * Work held by stopped agents. Without a destination it only lists (nothing changes); with
   * `toBacklog` tasks go back to the backlog, with `to` everything goes to that agent.
   */
  async reclaim(
    options: { toBacklog?: boolean | undefined; to?: string | undefined; from?: string | undefined } = {},
  ): Promise<ReclaimResult> {
    if (options.toBacklog && options.to) {
      throw new TinytownError('INVALID_INPUT', 'to: choose either the backlog or an agent, not both', {
        field: 'to',
      });
    }
    const dead = await this.deadAgents(options.from);
    const target = options.to ? await this.agents.resolve(options.to) : undefined;
    if (target && dead.some((agent) => agent.id === target.id)) {
      throw new TinytownError('INVALID_INPUT', `to: ${target.name} is itself stopped`, { field: 'to' });
    }
    if (!options.toBacklog && !target) {
      const work = await Promise.all(dead.map((agent) => this.heldBy(agent)));
      // Counted as a move would count them: a task and the task_assign that hands it out are one item.
      const reclaimed = work.reduce(
        (sum, held) =>
          sum + held.tasks.length + held.messages.filter((message) => message.type !== 'task_assign').length,
        0,
      );
      return { reclaimed, destination: { kind: 'listed' }, work };
    }
    let reclaimed = 0;
    const leftBehind: ReclaimableWork[] = [];
    for (const agent of dead) {
      const open = await redisCall(this.ctx.redis.scard(this.ctx.keys.tasksOfAgent(agent.id)));
      const envelopes = Array.from({ length: open }, () => assignEnvelope(target?.id ?? ''));
      const [count, kept] = (await this.ctx.run('reclaimAgent', {
        id: agent.id,
        to_backlog: options.toBacklog === true,
        target: target?.id,
        envelopes,
      })) as [number, number];
      reclaimed += count;
      if (kept > 0) leftBehind.push(await this.heldBy(agent));
    }
    const destination: ReclaimDestination = target
      ? { kind: 'agent', agent: { id: target.id, name: target.name } }
      : { kind: 'backlog' };
    return { reclaimed, destination, work: leftBehind };
  }

  /** Unfinished tasks whose assignee is gone or stopped. */
  async orphanTasks(): Promise<OrphanTask[]> {
    const agents = new Map((await this.agents.list()).map((agent) => [agent.id, agent]));
    const open = [
      ...(await this.tasks.list({ state: 'assigned' })),
      ...(await this.tasks.list({ state: 'running' })),
    ];
    const orphans: OrphanTask[] = [];
    for (const task of open) {
      // The conductor's mailbox is always there: its tasks are never orphans.
      if (!task.assigned_to || task.assigned_to === CONDUCTOR_ID) continue;
      const agent = agents.get(task.assigned_to);
      if (!agent) orphans.push({ task, reason: 'agent_missing' });
      else if (TERMINAL_AGENT_STATES.includes(agent.state)) orphans.push({ task, reason: 'agent_terminal' });
    }
    return orphans;
  }

  /** Lists orphan tasks, or sends them to the backlog, cancels or deletes them. Returns those handled. */
  async reclaimOrphans(action: OrphanAction): Promise<OrphanTask[]> {
    const orphans = await this.orphanTasks();
    if (action === 'list') return orphans;
    const handled: OrphanTask[] = [];
    for (const orphan of orphans) {
      try {
        if (action === 'to_backlog') await this.tasks.requeue(orphan.task.id, 'Orphan task requeued');
        else if (action === 'cancel') {
          await this.tasks.cancel(
            orphan.task.id,
            orphan.reason === 'agent_missing'
              ? 'Cancelled: assignee no longer exists'
              : 'Cancelled: assignee is in a terminal state',
          );
        } else await this.tasks.delete(orphan.task.id, 'Orphan task deleted');
        handled.push(orphan);
      } catch (error) {
        // Another process handled it between our listing and now.
        if (!(error instanceof TinytownError)) throw error;
      }
    }
    return handled;
  }

  private async deadAgents(from?: string): Promise<Agent[]> {
    if (from !== undefined) {
      const agent = await this.agents.resolve(from);
      if (!TERMINAL_AGENT_STATES.includes(agent.state)) {
        throw new TinytownError('INVALID_TRANSITION', `Agent ${agent.name} is ${agent.state}, not stopped`, {
          from: agent.state,
          agent: agent.name,
        });
      }
      return [agent];
    }
    return (await this.agents.list()).filter((agent) => TERMINAL_AGENT_STATES.includes(agent.state));
  }

  private async heldBy(agent: Agent): Promise<ReclaimableWork> {
    const { keys, redis } = this.ctx;
    const replies =
      (await redisCall(
        redis
          .pipeline()
          .lrange(keys.inflight(agent.id), 0, -1)
          .lrange(keys.urgent(agent.id), 0, -1)
          .lrange(keys.inbox(agent.id), 0, -1)
          .smembers(keys.tasksOfAgent(agent.id))
          .exec(),
      )) ?? [];
    const [inflight, urgent, inbox, taskIds] = replies.map(([, value]) => value) as string[][];
    const messages = [...(inflight ?? []), ...(urgent ?? []), ...(inbox ?? [])]
      .map(decodeMessage)
      .filter((message): message is Message => message !== undefined);
    const tasks = (await this.tasks.getMany(taskIds ?? [])).filter(
      (task) => !isTerminalTaskState(task.state),
    );
    return { agent: { id: agent.id, name: agent.name }, messages, tasks };
  }
}
