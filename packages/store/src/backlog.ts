import { newId, parseId, type Task } from '@tinytown/core';
import type { Address, Agents } from './agents.js';
import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';
import { taskAssignMessage } from './message-factory.js';
import { draftTask, type Tasks } from './tasks.js';

export interface ClaimResult {
  task: Task;
  agent: Address;
}

export class Backlog {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
    private readonly tasks: Tasks,
  ) {}

  /** Creates a pending task at the end of the backlog. */
  async add(description: string, options: { tags?: string[] | string } = {}): Promise<Task> {
    const draft = draftTask(description, options);
    await this.ctx.run('createTask', { task: draft.task, backlog: true });
    return this.tasks.get(draft.task.id);
  }

  /** The backlog in order, oldest first. */
  async list(): Promise<Task[]> {
    const ids = await redisCall(this.ctx.redis.lrange(this.ctx.keys.backlog, 0, -1));
    const tasks = await this.tasks.getMany(ids);
    const byId = new Map(tasks.map((task) => [task.id, task]));
    return ids.map((id) => byId.get(id)).filter((task): task is Task => task !== undefined);
  }

  async length(): Promise<number> {
    return redisCall(this.ctx.redis.llen(this.ctx.keys.backlog));
  }

  /** Claims a task for an agent. Of concurrent claimers exactly one wins; the others get NOT_IN_BACKLOG. */
  async claim(taskId: string, agentRef: string): Promise<ClaimResult> {
    const id = parseId(taskId, 'task_id');
    const agent = await this.agents.resolve(agentRef);
    await this.ctx.run('claimTask', {
      task_id: id,
      agent_id: agent.id,
      message: JSON.stringify(taskAssignMessage(agent.id, id)),
    });
    return { task: await this.tasks.get(id), agent: { id: agent.id, name: agent.name } };
  }

  /**
   * Claims the oldest backlog task that `accepts` (for instance, matches the agent's role), skipping
   * tasks another claimer takes first. Returns null when nothing suitable is left.
   */
  async claimNext(
    agentRef: string,
    accepts: (task: Task) => boolean = () => true,
  ): Promise<ClaimResult | null> {
    for (const task of await this.list()) {
      if (!accepts(task)) continue;
      try {
        return await this.claim(task.id, agentRef);
      } catch (error) {
        if ((error as { code?: string }).code === 'NOT_IN_BACKLOG') continue;
        throw error;
      }
    }
    return null;
  }

  /** Assigns every backlog task to one agent; returns the tasks assigned, in backlog order. */
  async assignAll(agentRef: string): Promise<{ agent: Address; tasks: Task[] }> {
    const agent = await this.agents.resolve(agentRef);
    const slots = await this.length();
    // The script cannot mint ids, so it gets one prepared message per task it may assign.
    const envelopes = Array.from({ length: slots }, () => {
      const { task_id: _placeholder, ...envelope } = taskAssignMessage(agent.id, newId()) as {
        task_id: string;
      };
      return envelope;
    });
    const ids = (await this.ctx.run('assignAllBacklog', {
      agent_id: agent.id,
      messages: envelopes,
    })) as string[];
    const tasks = await this.tasks.getMany(ids);
    return { agent: { id: agent.id, name: agent.name }, tasks };
  }

  /** Takes a task off the backlog and deletes it. */
  async remove(taskId: string): Promise<void> {
    await this.ctx.run('removeBacklogTask', { task_id: parseId(taskId, 'task_id') });
  }
}
