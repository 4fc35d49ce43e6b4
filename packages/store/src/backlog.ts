import { isUuid, parseId, type Task } from '@tinytown/core';
import type { Address, Agents } from './agents.js';
import type { StoreContext } from './context.js';
import { redisCall } from './errors.js';
import { assignEnvelope, taskAssignMessage } from './message-factory.js';
import { draftTask, type Tasks, taskFromReply } from './tasks.js';

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
  async add(description: string, options: { tags?: string[] | string | undefined } = {}): Promise<Task> {
    const [task] = await this.addMany([{ description, ...options }]);
    return task!;
  }

  /** Creates many pending tasks at the end of the backlog, in order, in one step. */
  async addMany(
    items: readonly { description: string; tags?: string[] | string | undefined }[],
  ): Promise<Task[]> {
    const drafts = items.map((item) => draftTask(item.description, item));
    if (drafts.length === 0) return [];
    const stored = (await this.ctx.run('addToBacklog', { tasks: drafts })) as string[][];
    return stored.map(taskFromReply);
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
    const agentId = await this.agentId(agentRef);
    const [task, name] = (await this.ctx.run('claimTask', {
      task_id: id,
      agent_id: agentId,
      message: JSON.stringify(taskAssignMessage(agentId, id)),
    })) as [string[], string];
    return { task: taskFromReply(task), agent: { id: agentId, name } };
  }

  /**
   * Claims the oldest backlog task for an agent — or, with `accepts`, the oldest one it accepts (for
   * instance, matching the agent's role). With `start` the agent starts it at once. Returns null when
   * nothing suitable is left.
   */
  async claimNext(
    agentRef: string,
    accepts?: (task: Task) => boolean,
    options: { start?: boolean } = {},
  ): Promise<ClaimResult | null> {
    const agentId = await this.agentId(agentRef);
    const claimFirst = async (among?: string[]) => {
      const reply = (await this.ctx.run('claimNextTask', {
        agent_id: agentId,
        start: options.start === true,
        envelope: assignEnvelope(agentId),
        ...(among ? { among } : {}),
      })) as [string[], string] | false | null;
      return reply ? { task: taskFromReply(reply[0]), agent: { id: agentId, name: reply[1] } } : null;
    };
    if (!accepts) return claimFirst();
    // The filter runs here, a page at a time; the script claims the first accepted task still there.
    // Pages start small, since most claims find a task near the head, and double while none is accepted.
    let pageSize = 16;
    let offset = 0;
    for (;;) {
      const ids = await redisCall(
        this.ctx.redis.lrange(this.ctx.keys.backlog, offset, offset + pageSize - 1),
      );
      if (ids.length === 0) return null;
      const among = (await this.tasks.getMany(ids))
        .filter((task) => task.state === 'pending' && accepts(task))
        .map((task) => task.id);
      const claimed = among.length > 0 ? await claimFirst(among) : null;
      if (claimed) return claimed;
      // Nothing accepted on this page, or others took every accepted task first: those left the list,
      // so only a page with nothing accepted moves the window on.
      if (among.length === 0) {
        offset += pageSize;
        pageSize = Math.min(pageSize * 2, 256);
      }
    }
  }

  /** An agent reference as an id: a UUID goes straight to the script, which checks it exists. */
  private async agentId(ref: string): Promise<string> {
    return isUuid(ref.trim()) ? ref.trim().toLowerCase() : (await this.agents.resolve(ref)).id;
  }

  /** Assigns every backlog task to one agent; returns the tasks assigned, in backlog order. */
  async assignAll(agentRef: string): Promise<{ agent: Address; tasks: Task[] }> {
    const agent = await this.agents.resolve(agentRef);
    const slots = await this.length();
    // The script cannot mint ids, so it gets one prepared message per task it may assign.
    const envelopes = Array.from({ length: slots }, () => assignEnvelope(agent.id));
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
