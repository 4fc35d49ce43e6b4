import {
  isTerminalTaskState,
  isUuid,
  newId,
  parseId,
  parseTags,
  statesLeadingTo,
  TASK_TRANSITIONS,
  type Task,
  type TaskState,
  TinytownError,
  taskNotFound,
} from '@tinytown/core';
import { type Address, type Agents, CONDUCTOR_ADDRESS } from './agents.js';
import { flatToHash, taskFromHash } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';
import { resolveIdStart } from './id-prefix.js';
import { taskAssignMessage } from './message-factory.js';

export interface AssignResult {
  task: Task;
  agent: Address;
}

/**
 * Who acts on a task, when an agent does. With `by`, any change is refused (INVALID_TRANSITION) unless
 * the task is still that agent's, and a start, completion or failure also needs the agent to be live: a
 * late acknowledgement from an agent whose lease lapsed (recovered, its work handed on) can neither end
 * another agent's run nor finish work that went back to the queues. Giving a task back (unstart,
 * requeue) stays allowed to a stopped agent while the task is its own. Without `by`, the caller is a
 * person or a tool acting on the town, and only the task's state is checked.
 */
export interface ActingAgent {
  /** The agent's id or name. */
  by?: string | undefined;
}

/** A script's reply holding a task hash (HGETALL form) as a Task. */
export function taskFromReply(reply: unknown): Task {
  return taskFromHash(flatToHash(reply as string[]));
}

export function requireText(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TinytownError('INVALID_INPUT', `${field}: must not be empty`, { field });
  }
  return value;
}

export function draftTask(
  description: string,
  options: { tags?: string[] | string | undefined; parentId?: string | null | undefined } = {},
) {
  return {
    id: newId(),
    description: requireText(description, 'description'),
    state: 'pending' as TaskState,
    tags_json: JSON.stringify(parseTags(options.tags)),
    parent_id: options.parentId ? parseId(options.parentId, 'parent_id') : null,
  };
}

export class Tasks {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
  ) {}

  /** Creates a task for an agent (or the conductor) and queues its task_assign message, in one step. */
  async assign(
    agentRef: string,
    description: string,
    options: { tags?: string[] | string | undefined; parentId?: string | null | undefined } = {},
  ): Promise<AssignResult> {
    const draft = draftTask(description, options);
    return this.agents.addressed(agentRef, async (agent) => {
      const createdAt = (await this.ctx.run('createTask', {
        task: { ...draft, state: 'assigned' },
        assign_to: agent.id,
        message: JSON.stringify(taskAssignMessage(agent.id, draft.id)),
      })) as string;
      // The record is exactly what was sent plus the script's clock: decode that instead of reading it back.
      const task = taskFromHash({
        id: draft.id,
        description: draft.description,
        state: 'assigned',
        tags: draft.tags_json,
        assigned_to: agent.id,
        created_at: createdAt,
        updated_at: createdAt,
        ...(draft.parent_id ? { parent_id: draft.parent_id } : {}),
      });
      return { task, agent };
    });
  }

  /** The task id a full id or its first few characters (as listings print them) mean. */
  resolveId(ref: string): Promise<string> {
    return resolveIdStart(this.ctx.redis, this.ctx.keys.tasks, ref, 'task_id', taskNotFound);
  }

  async get(id: string): Promise<Task> {
    const taskId = parseId(id, 'task_id');
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.task(taskId)));
    if (!hash.id) throw taskNotFound(taskId);
    return taskFromHash(hash);
  }

  /** Loads tasks by id in one round trip, skipping ids whose record is gone. */
  async getMany(ids: readonly string[]): Promise<Task[]> {
    if (ids.length === 0) return [];
    const pipeline = this.ctx.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.ctx.keys.task(id));
    const replies = (await redisCall(pipeline.exec())) ?? [];
    return replies
      .map(([, hash]) => hash as Record<string, string>)
      .filter((hash) => hash?.id)
      .map(taskFromHash);
  }

  /** Tasks filtered by state and/or assignee (any agent reference), oldest first. */
  async list(filter: { state?: TaskState | undefined; agent?: string | undefined } = {}): Promise<Task[]> {
    const { keys, redis } = this.ctx;
    let ids: string[];
    if (filter.agent !== undefined) {
      const agent = await this.agents.resolveAddress(filter.agent);
      ids = await redisCall(redis.smembers(keys.tasksOfAgent(agent.id)));
    } else if (filter.state !== undefined) {
      ids = await redisCall(redis.smembers(keys.tasksInState(filter.state)));
    } else {
      ids = await redisCall(redis.smembers(keys.tasks));
    }
    const tasks = await this.getMany(ids);
    return tasks
      .filter((task) => filter.state === undefined || task.state === filter.state)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /**
   * Work handed out but not started, across every agent and the conductor, oldest first, each with the
   * name of whoever holds it.
   */
  async pending(): Promise<{ task: Task; agent: Address }[]> {
    const [tasks, agents] = await Promise.all([this.list({ state: 'assigned' }), this.agents.list()]);
    const names = new Map(agents.map((agent) => [agent.id, agent.name]));
    names.set(CONDUCTOR_ADDRESS.id, CONDUCTOR_ADDRESS.name);
    return tasks.map((task) => {
      const id = task.assigned_to ?? '';
      return { task, agent: { id, name: names.get(id) ?? '(unknown)' } };
    });
  }

  /** The agent's task in hand: its current task, else its only unfinished task. */
  async current(agentRef: string): Promise<Task | null> {
    const agent = await this.agents.resolve(agentRef);
    if (agent.current_task) {
      const [task] = await this.getMany([agent.current_task]);
      if (task && !isTerminalTaskState(task.state)) return task;
    }
    const open = (await this.list({ agent: agent.id })).filter((task) => !isTerminalTaskState(task.state));
    const running = open.filter((task) => task.state === 'running');
    if (running.length === 1) return running[0]!;
    return open.length === 1 ? open[0]! : null;
  }

  /**
   * The agent starts working on the task: it becomes running and the agent's current task. Only an
   * assigned task can be started this way: a pending one has no agent, and would run owned by nobody
   * (out of reach of leases and reclaims) while its id stayed on the backlog. Backlog tasks are claimed
   * and started in one step with `backlog.claimNext(agent, …, { start: true })`.
   */
  start(id: string, acting: ActingAgent = {}): Promise<Task> {
    return this.move(id, 'running', { agent_effect: 'start', from: ['assigned'] }, acting);
  }

  complete(id: string, result?: string, acting: ActingAgent = {}): Promise<Task> {
    return this.move(id, 'completed', { result: result?.trim() || 'Completed' }, acting);
  }

  /**
   * Completes the task and, in the same step, has its assignee claim and start the oldest backlog task:
   * one round trip per task for a worker that drains the backlog.
   */
  async completeAndClaimNext(
    id: string,
    result?: string,
    acting: ActingAgent = {},
  ): Promise<{ task: Task; next: Task | null }> {
    const [stored, next] = (await this.ctx.run('transitionTask', {
      id: parseId(id, 'task_id'),
      to: 'completed',
      from: statesLeadingTo(TASK_TRANSITIONS, 'completed'),
      result: result?.trim() || 'Completed',
      claim_next: true,
      ...(await this.fence(acting)),
    })) as [string[], string[] | false];
    return { task: taskFromReply(stored), next: next ? taskFromReply(next) : null };
  }

  fail(id: string, error?: string, acting: ActingAgent = {}): Promise<Task> {
    return this.move(id, 'failed', { result: error?.trim() || 'Failed' }, acting);
  }

  cancel(id: string, reason?: string): Promise<Task> {
    return this.move(id, 'cancelled', { result: reason?.trim() || 'Cancelled' });
  }

  /** Back to the backlog, unassigned. */
  requeue(id: string, reason?: string, acting: ActingAgent = {}): Promise<Task> {
    return this.move(
      id,
      'pending',
      { to_backlog: true, event_message: reason ?? 'Requeued to the backlog' },
      acting,
    );
  }

  /** Gives the task to another agent (or back to its own, after a failed round) with a new task_assign. */
  async reassign(id: string, agentRef: string): Promise<AssignResult> {
    const agent = await this.agents.resolveAddress(agentRef);
    const taskId = parseId(id, 'task_id');
    const task = await this.move(taskId, 'assigned', {
      assign_to: agent.id,
      message: JSON.stringify(taskAssignMessage(agent.id, taskId)),
    });
    return { task, agent };
  }

  /** Puts a task the agent was running back to assigned without a new message (a round failed). */
  unstart(id: string, acting: ActingAgent = {}): Promise<Task> {
    return this.move(id, 'assigned', { from: ['running'] }, acting);
  }

  async delete(id: string, reason?: string): Promise<void> {
    await this.ctx.run('deleteTask', { id: parseId(id, 'task_id'), reason });
  }

  /** The transition script's `by`: the acting agent's id (a name costs one lookup; an id none). */
  private async fence(acting: ActingAgent): Promise<{ by?: string }> {
    if (acting.by === undefined) return {};
    const ref = requireText(acting.by, 'by').trim();
    return { by: isUuid(ref) ? ref.toLowerCase() : (await this.agents.resolve(ref)).id };
  }

  private async move(
    id: string,
    to: TaskState,
    extra: Record<string, unknown> & { from?: TaskState[] },
    acting: ActingAgent = {},
  ): Promise<Task> {
    const taskId = parseId(id, 'task_id');
    const { from, ...rest } = extra;
    const [stored] = (await this.ctx.run('transitionTask', {
      id: taskId,
      to,
      from: from ?? statesLeadingTo(TASK_TRANSITIONS, to),
      ...rest,
      ...(await this.fence(acting)),
    })) as [string[], string[] | false];
    return taskFromReply(stored);
  }
}
