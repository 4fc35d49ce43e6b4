import {
  CONDUCTOR_ID,
  categorizeMessage,
  isActionable,
  isTerminalAgentState,
  isTinytownError,
  type Message,
  type MessageKind,
  plural,
  summarizeMessage,
  TASK_STATES,
  type Task,
  type TaskState,
  TinytownError,
  type TownEvent,
} from '@tinytown/core';
import type { Address, Town } from '@tinytown/store';
import { type Command, Option } from 'commander';
import { AGENT_REF, act, examples } from '../action.js';
import {
  actingAgent,
  agentArgOrSelf,
  type CliContext,
  parseChoice,
  parsePositiveInt,
  selfAgent,
} from '../context.js';
import { truncate } from '../output.js';
import { agentLine, countMessages } from './agents.js';

const TASK_ID = 'task id, or its first 4 or more characters as listings show them';

const TASK_ICON: Record<TaskState, string> = {
  pending: '⏳',
  assigned: '📌',
  running: '🔄',
  completed: '✅',
  failed: '❌',
  cancelled: '🚫',
};

/** Agent ids to names (the conductor's too), for listings that name who holds what. */
export async function assigneeNames(town: Town): Promise<Map<string, string>> {
  const names = new Map((await town.agents.list()).map((agent) => [agent.id, agent.name]));
  names.set(CONDUCTOR_ID, 'conductor');
  return names;
}

/** Who `id` is, by name; an agent pruned since has no name left, and shows by its id's first characters. */
export function nameOrShortId(names: ReadonlyMap<string, string>, id: string): string {
  return names.get(id) ?? id.slice(0, 8);
}

/**
 * What to do so that a stopped or paused recipient sees what was just put in its inbox: without it, the
 * work sits there silently and the sender is left to wonder why nothing happens.
 */
async function waitingRecipientHint(town: Town, to: Address): Promise<string | undefined> {
  if (to.id === CONDUCTOR_ID) return undefined;
  const { state } = await town.agents.get(to.id);
  if (state === 'paused') return `${to.name} is paused: it sees this after 'tt resume ${to.name}'`;
  if (isTerminalAgentState(state)) {
    return `${to.name} is ${state}: it sees this after 'tt restart ${to.name}'`;
  }
  return undefined;
}

/**
 * Runs `finish` (a task's completion or failure). A backlog task is claimed or removed, not finished: the
 * town's refusal says so, and here it also names the commands that do that.
 */
async function finishTask(id: string, finish: () => Promise<Task>): Promise<Task> {
  try {
    return await finish();
  } catch (error) {
    if (!isTinytownError(error, 'INVALID_TRANSITION') || error.details.from !== 'pending') throw error;
    const short = id.slice(0, 8);
    throw new TinytownError(
      'INVALID_TRANSITION',
      `Task ${id} is in the backlog: claim it first ('tt backlog claim ${short} <agent>'), or take it off ('tt backlog remove ${short}')`,
      error.details,
      { cause: error },
    );
  }
}

function taskLine(task: Task, names: Map<string, string>): string {
  const who = task.assigned_to ? nameOrShortId(names, task.assigned_to) : 'unassigned';
  return `${TASK_ICON[task.state]} ${task.id.slice(0, 8)} ${task.state.padEnd(9)} [${who}] ${truncate(task.description, 60)}`;
}

function printTask(ctx: CliContext, task: Task, names: Map<string, string>): void {
  const out = ctx.out;
  out.line(`${out.paint('bold', 'Task')} ${task.id}`);
  out.line(`  state:    ${TASK_ICON[task.state]} ${task.state}`);
  out.line(
    `  assignee: ${task.assigned_to ? (names.get(task.assigned_to) ?? task.assigned_to) : 'unassigned'}`,
  );
  out.line(`  created:  ${task.created_at}   updated: ${task.updated_at}`);
  if (task.started_at) out.line(`  started:  ${task.started_at}`);
  if (task.completed_at) out.line(`  finished: ${task.completed_at}`);
  if (task.tags.length > 0) out.line(`  tags:     ${task.tags.join(', ')}`);
  if (task.result) out.line(`  result:   ${task.result}`);
  out.line('  description:');
  for (const line of task.description.split('\n')) out.line(`    ${line}`);
}

/**
 * One inbox line. A task_assign message holds only its task's id, so the line names the task by its
 * description (from `descriptions`) as the agent's prompt will.
 */
function messageLine(message: Message, descriptions: ReadonlyMap<string, string> = new Map()): string {
  const tag = { task: '[T]', query: '[Q]', informational: '[I]', confirmation: '[C]', other: '[!]' }[
    categorizeMessage(message)
  ];
  const description = message.type === 'task_assign' ? descriptions.get(message.task_id) : undefined;
  const summary =
    message.type === 'task_assign' && description !== undefined
      ? `task_assign ${message.task_id.slice(0, 8)}: ${description}`
      : summarizeMessage(message, 120);
  return `${message.urgent ? '🚨 ' : ''}${tag} ${truncate(summary, 120)}`;
}

/** The descriptions of the tasks that `messages` assign, in one round trip. */
async function assignedTaskDescriptions(
  town: Town,
  messages: readonly Message[],
): Promise<Map<string, string>> {
  const ids = messages.flatMap((message) => (message.type === 'task_assign' ? [message.task_id] : []));
  const tasks = await town.tasks.getMany([...new Set(ids)]);
  return new Map(tasks.map((task) => [task.id, task.description]));
}

/** One event as text: who, and which task and mission it is about (as listings print their ids). */
function eventLine(event: TownEvent, names: Map<string, string>): string {
  const time = event.timestamp.slice(11, 19);
  const who = event.agent_id ? nameOrShortId(names, event.agent_id) : 'town';
  const about = [
    event.task_id ? `task ${event.task_id.slice(0, 8)}` : undefined,
    event.mission_id ? `mission ${event.mission_id.slice(0, 8)}` : undefined,
  ].filter((part) => part !== undefined);
  return `${time} [${event.event_type}] ${who}${about.length > 0 ? ` (${about.join(', ')})` : ''} — ${event.message}`;
}

export function registerWorkCommands(program: Command): void {
  examples(
    program
      .command('assign')
      .description('Create a task for an agent (or the conductor) and put it in their inbox')
      .argument('<agent>', `the conductor, or ${AGENT_REF}`)
      .argument('<description>', 'what to do; quote it, it may span lines')
      .option('--tags <tags>', 'comma-separated tags')
      .action(
        act(async (ctx, ref: string, description: string, opts: { tags?: string }) => {
          const town = await ctx.town();
          const result = await town.tasks.assign(ref, description, opts.tags ? { tags: opts.tags } : {});
          const hint = ctx.out.json ? undefined : await waitingRecipientHint(town, result.agent);
          ctx.out.result(result, () => {
            ctx.out.line(`Assigned task ${result.task.id} to ${result.agent.name}`);
            if (hint) ctx.out.line(hint);
          });
        }),
      ),
    'tt assign backend "Add pagination to GET /orders"',
  );

  examples(
    program
      .command('send')
      .description('Send a message: a task (default), a question, information or an acknowledgement')
      .argument('<to>', `the conductor, or ${AGENT_REF}`)
      .argument('<message>', 'the text')
      .addOption(new Option('--query', 'a question that needs an answer').conflicts(['info', 'ack']))
      .addOption(new Option('--info', 'information, no action needed').conflicts(['ack']))
      .option('--ack', 'an acknowledgement (rejected: <why> to reject)')
      .option('--urgent', 'ahead of everything else in their inbox')
      .option('--from <agent>', 'sender (default: the agent running tt, else the conductor)')
      .action(
        act(
          async (
            ctx,
            to: string,
            text: string,
            opts: { query?: boolean; info?: boolean; ack?: boolean; urgent?: boolean; from?: string },
          ) => {
            const town = await ctx.town();
            const kind: MessageKind = opts.query ? 'query' : opts.info ? 'info' : opts.ack ? 'ack' : 'task';
            const from = opts.from ?? (await selfAgent(town))?.id;
            const result = await town.messages.send({
              to,
              text,
              kind,
              urgent: opts.urgent === true,
              ...(from === undefined ? {} : { from }),
            });
            const hint = ctx.out.json ? undefined : await waitingRecipientHint(town, result.to);
            ctx.out.result(result, () => {
              ctx.out.line(
                `Sent ${opts.urgent ? 'URGENT ' : ''}${kind} message to ${result.to.name}${result.from.id === CONDUCTOR_ID ? '' : ` (from ${result.from.name})`}`,
              );
              if (hint) ctx.out.line(hint);
            });
          },
        ),
      ),
    'tt send backend "Please also update the docs"',
    'tt send tester --query "Which suite is flaky?" --urgent',
    'tt send conductor --info "Done with the API; tests green"',
  );

  examples(
    program
      .command('inbox')
      .description('What waits in an agent’s inbox (read-only)')
      .argument('[agent]', `the conductor, or ${AGENT_REF} (default: the agent running tt)`)
      .option('-a, --all', 'every non-empty inbox')
      .action(
        act(async (ctx, ref: string | undefined, opts: { all?: boolean }) => {
          const town = await ctx.town();
          if (opts.all) {
            const agents = await town.agents.list();
            const views = await Promise.all(
              [...agents.map((agent) => agent.id), CONDUCTOR_ID].map((id) => town.messages.peek(id)),
            );
            const inboxes = views
              .filter((view) => view.total > 0 || view.inflight > 0)
              .map((view) => ({ ...view, counts: countMessages(view.messages) }));
            const actionable = inboxes.reduce(
              (sum, view) => sum + view.messages.filter(isActionable).length,
              0,
            );
            const descriptions = ctx.out.json
              ? new Map<string, string>()
              : await assignedTaskDescriptions(
                  town,
                  inboxes.flatMap((view) => view.messages.slice(0, 5)),
                );
            ctx.out.result({ inboxes, total_actionable: actionable }, () => {
              if (inboxes.length === 0) ctx.out.line('No pending messages.');
              for (const view of inboxes) {
                const c = view.counts;
                ctx.out.line(
                  `${ctx.out.paint('bold', view.agent.name)}: ${view.total} queued, ${view.inflight} in a round (T:${c.task} Q:${c.query} I:${c.info} C:${c.ack})`,
                );
                for (const message of view.messages.slice(0, 5))
                  ctx.out.line(`  ${messageLine(message, descriptions)}`);
                if (view.messages.length > 5) ctx.out.line(`  …plus ${view.total - 5} more`);
              }
              ctx.out.line(`Total: ${plural(actionable, 'actionable message')}`);
            });
            return;
          }
          const target = ref ?? (await selfAgent(town))?.id;
          if (target === undefined) {
            throw new TinytownError('INVALID_INPUT', 'inbox: name an agent, or use --all', {
              field: 'agent',
              usage: true,
            });
          }
          const view = await town.messages.peek(target);
          const doc = { ...view, counts: countMessages(view.messages) };
          const descriptions = ctx.out.json
            ? new Map<string, string>()
            : await assignedTaskDescriptions(town, view.messages.slice(0, 20));
          ctx.out.result(doc, () => {
            const c = doc.counts;
            ctx.out.line(
              `Inbox of ${view.agent.name}: ${view.total} queued (${view.urgent} urgent), ${view.inflight} in a round; T:${c.task} Q:${c.query} I:${c.info} C:${c.ack}`,
            );
            for (const message of view.messages.slice(0, 20))
              ctx.out.line(`  ${messageLine(message, descriptions)}`);
            if (view.messages.length > 20) ctx.out.line(`  …plus ${view.total - 20} more`);
          });
        }),
      ),
    'tt inbox backend',
    'tt inbox conductor',
    'tt inbox --all',
  );

  examples(
    program
      .command('history')
      .description('What happened recently, oldest first (events; --messages for the message log)')
      .option('-n, --limit <n>', 'how many', '30')
      .option('-a, --agent <agent>', 'only this agent')
      .option('--messages', 'the recent messages instead of events')
      .action(
        act(async (ctx, opts: { limit: string; agent?: string; messages?: boolean }) => {
          const town = await ctx.town();
          const limit = parsePositiveInt(opts.limit, 'limit');
          const names = await assigneeNames(town);
          if (opts.messages) {
            let messages = await town.messages.history(opts.agent ? limit * 10 : limit);
            if (opts.agent) {
              const agent = await town.agents.resolveAddress(opts.agent);
              messages = messages
                .filter((message) => message.from === agent.id || message.to === agent.id)
                .slice(0, limit);
            }
            messages.reverse();
            ctx.out.result({ messages }, () => {
              if (messages.length === 0) ctx.out.line('No messages yet.');
              for (const message of messages) {
                const from = nameOrShortId(names, message.from);
                const to = nameOrShortId(names, message.to);
                ctx.out.line(`${message.created_at.slice(11, 19)} ${from} -> ${to}: ${messageLine(message)}`);
              }
            });
            return;
          }
          const events = (
            await town.events.recent({ limit, ...(opts.agent ? { agent: opts.agent } : {}) })
          ).reverse();
          ctx.out.result({ events }, () => {
            if (events.length === 0) ctx.out.line('No events recorded yet.');
            for (const event of events) ctx.out.line(eventLine(event, names));
          });
        }),
      ),
    'tt history -n 50',
    'tt history --agent backend',
    'tt history --messages',
  );

  examples(
    program
      .command('events')
      .description(
        'Town events, newest first; --follow streams new ones as they happen (JSON lines with --json)',
      )
      .option('-c, --count <n>', 'how many', '20')
      .addOption(new Option('--agent <agent>', 'only this agent’s events').conflicts('mission'))
      .option(
        '--mission <mission-id>',
        'only this mission’s activity (its id, or its first 4 or more characters)',
      )
      .option('-f, --follow', 'keep printing new events until Ctrl-C')
      .action(
        act(async (ctx, opts: { count: string; agent?: string; mission?: string; follow?: boolean }) => {
          const town = await ctx.town();
          const count = parsePositiveInt(opts.count, 'count');
          const names = await assigneeNames(town);
          const source = opts.mission
            ? { mission: await town.missions.resolveId(opts.mission) }
            : opts.agent
              ? { agent: opts.agent }
              : {};
          if (!opts.follow) {
            const events = await town.events.recent({ limit: count, ...source });
            ctx.out.result({ events }, () => {
              if (events.length === 0) ctx.out.line('No events yet.');
              for (const event of events) ctx.out.line(eventLine(event, names));
            });
            return;
          }
          const controller = new AbortController();
          const stop = () => controller.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          try {
            for await (const event of town.events.follow({
              ...source,
              signal: controller.signal,
              blockMs: 500,
            })) {
              if (ctx.out.json) ctx.out.jsonLine(event);
              else ctx.out.line(eventLine(event, names));
            }
          } finally {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
          }
        }),
      ),
    'tt events',
    'tt events --follow',
    'tt events --agent backend -c 50 --json',
    'tt events --mission 5b6496bf --follow',
  );

  const task = examples(
    program.command('task').description('Look at and finish tasks: show, list, complete, fail, current'),
    'tt task list --state running',
    'tt task complete 3f0c9a1e --result "what changed"',
  );
  examples(
    task
      .command('show')
      .description('One task in full')
      .argument('<task-id>', TASK_ID)
      .action(
        act(async (ctx, ref: string) => {
          const town = await ctx.town();
          const found = await town.tasks.get(await town.tasks.resolveId(ref));
          const names = await assigneeNames(town);
          ctx.out.result({ task: found }, () => printTask(ctx, found, names));
        }),
      ),
    'tt task show 3f0c9a1e',
  );
  examples(
    task
      .command('list')
      .description('Tasks, oldest first')
      .option('--state <state>', `one of ${TASK_STATES.join(', ')}`)
      .option('--agent <agent>', 'assigned to this agent')
      .action(
        act(async (ctx, opts: { state?: string; agent?: string }) => {
          const town = await ctx.town();
          const tasks = await town.tasks.list({
            ...(opts.state ? { state: parseChoice(opts.state, 'state', TASK_STATES) } : {}),
            ...(opts.agent ? { agent: opts.agent } : {}),
          });
          const names = await assigneeNames(town);
          ctx.out.result({ tasks }, () => {
            ctx.out.line(`Tasks (${tasks.length}):`);
            for (const t of tasks) ctx.out.line(`  ${taskLine(t, names)}`);
          });
        }),
      ),
    'tt task list --state running',
  );
  examples(
    task
      .command('complete')
      .description('Mark a task an agent holds completed (a finished or backlog task cannot be)')
      .argument('<task-id>', TASK_ID)
      .option('--result <text>', 'what was done and where')
      .action(
        act(async (ctx, ref: string, opts: { result?: string }) => {
          const town = await ctx.town();
          const id = await town.tasks.resolveId(ref);
          const done = await finishTask(id, () => town.tasks.complete(id, opts.result, actingAgent()));
          ctx.out.result({ task: done }, () =>
            ctx.out.line(`Task ${done.id} completed: ${truncate(done.result ?? '', 80)}`),
          );
        }),
      ),
    'tt task complete 3f0c9a1e --result "Added pagination in src/orders.ts, tests in test/orders.test.ts"',
  );
  examples(
    task
      .command('fail')
      .description('Mark a task an agent holds failed, saying why (a finished or backlog task cannot be)')
      .argument('<task-id>', TASK_ID)
      .option('--reason <text>', 'what blocks it')
      .action(
        act(async (ctx, ref: string, opts: { reason?: string }) => {
          const town = await ctx.town();
          const id = await town.tasks.resolveId(ref);
          const failed = await finishTask(id, () => town.tasks.fail(id, opts.reason, actingAgent()));
          ctx.out.result({ task: failed }, () =>
            ctx.out.line(`Task ${failed.id} failed: ${truncate(failed.result ?? '', 80)}`),
          );
        }),
      ),
    'tt task fail 3f0c9a1e --reason "The staging database is down"',
  );
  examples(
    task
      .command('current')
      .description('The task an agent is working on (default: the agent running tt)')
      .argument('[agent]', AGENT_REF)
      .action(
        act(async (ctx, ref: string | undefined) => {
          const town = await ctx.town();
          const agent = await agentArgOrSelf(town, ref, 'task current');
          const current = await town.tasks.current(agent.id);
          ctx.out.result({ agent, task: current }, () => {
            if (!current) {
              ctx.out.line(`No current task for ${agentLine(ctx.out, agent)}`);
              return;
            }
            printTask(ctx, current, new Map([[agent.id, agent.name]]));
            ctx.out.line(`  finish with: tt task complete ${current.id} --result "<summary>"`);
          });
        }),
      ),
    'tt task current',
    'tt task current backend',
  );

  const backlog = examples(
    program
      .command('backlog')
      .description('The shared queue of unassigned tasks: add, list, claim, assign-all, remove'),
    'tt backlog add "Write the docs" --tags docs',
    'tt backlog claim 3f0c9a1e backend',
  );
  examples(
    backlog
      .command('add')
      .description('Add a task to the backlog')
      .argument('<description>', 'what to do')
      .option('--tags <tags>', 'comma-separated tags (roles match on them)')
      .action(
        act(async (ctx, description: string, opts: { tags?: string }) => {
          const town = await ctx.town();
          const added = await town.backlog.add(description, opts.tags ? { tags: opts.tags } : {});
          ctx.out.result({ task: added }, () => ctx.out.line(`Added task ${added.id} to the backlog`));
        }),
      ),
    'tt backlog add "Write the migration guide" --tags docs',
  );
  examples(
    backlog
      .command('list')
      .description('The backlog, oldest first')
      .action(
        act(async (ctx) => {
          const town = await ctx.town();
          const tasks = await town.backlog.list();
          ctx.out.result({ tasks }, () => {
            ctx.out.line(`Backlog (${plural(tasks.length, 'task')}):`);
            for (const t of tasks) {
              ctx.out.line(
                `  ${t.id.slice(0, 8)} ${truncate(t.description, 60)}${t.tags.length > 0 ? ` [${t.tags.join(', ')}]` : ''}`,
              );
            }
          });
        }),
      ),
    'tt backlog list',
  );
  examples(
    backlog
      .command('claim')
      .description('Take a backlog task for an agent (default: the agent running tt)')
      .argument('<task-id>', TASK_ID)
      .argument('[agent]', AGENT_REF)
      .action(
        act(async (ctx, taskRef: string, ref: string | undefined) => {
          const town = await ctx.town();
          const agent = await agentArgOrSelf(town, ref, 'backlog claim');
          const result = await town.backlog.claim(await town.tasks.resolveId(taskRef), agent.id);
          ctx.out.result(result, () =>
            ctx.out.line(`Claimed task ${result.task.id} for ${result.agent.name}`),
          );
        }),
      ),
    'tt backlog claim 3f0c9a1e backend',
  );
  examples(
    backlog
      .command('assign-all')
      .description('Give every backlog task to one agent')
      .argument('<agent>', AGENT_REF)
      .action(
        act(async (ctx, ref: string) => {
          const town = await ctx.town();
          const result = await town.backlog.assignAll(ref);
          ctx.out.result(result, () =>
            ctx.out.line(
              result.tasks.length === 0
                ? 'The backlog is empty.'
                : `Assigned ${plural(result.tasks.length, 'task')} to ${result.agent.name}`,
            ),
          );
        }),
      ),
    'tt backlog assign-all backend',
  );
  examples(
    backlog
      .command('remove')
      .description('Take a task off the backlog and delete it')
      .argument('<task-id>', TASK_ID)
      .action(
        act(async (ctx, ref: string) => {
          const town = await ctx.town();
          const id = await town.tasks.resolveId(ref);
          await town.backlog.remove(id);
          ctx.out.result({ removed: id }, () => ctx.out.line(`Removed task ${id} from the backlog`));
        }),
      ),
    'tt backlog remove 3f0c9a1e',
  );
}
