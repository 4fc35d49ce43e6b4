import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminalTaskState, type Task, TinytownError } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import type { Command } from 'commander';
import { parse, stringify } from 'smol-toml';
import { act, examples } from '../action.js';
import { truncate } from '../output.js';
import { assigneeNames, nameOrShortId } from './work.js';

export const PLAN_FILE = 'tasks.toml';

export interface PlanTask {
  id: string;
  description: string;
  agent?: string;
  status: string;
  tags: string[];
  /** The Redis task this entry stands for; written by `tt sync`, so syncing again creates nothing new. */
  task_id?: string;
  result?: string;
}

export interface Plan {
  meta: { description?: string; default_agent?: string };
  tasks: PlanTask[];
}

const PLAN_STATUSES = ['pending', 'assigned', 'running', 'completed', 'failed', 'cancelled'];

const TEMPLATE = `# Tinytown plan: tasks kept in git. 'tt sync push' creates them in the town (once: an entry's task_id
# links it to its task), 'tt sync pull' writes the town's task states back here.
[meta]
description = "What this town is working on"
# default_agent = "backend"

[[tasks]]
id = "example"
description = "Describe the first task here"
# agent = "backend"        # assign to an agent; without one the task goes to the backlog
status = "pending"
tags = ["backend"]
`;

function invalid(file: string, message: string): TinytownError {
  return new TinytownError('CONFIG_INVALID', `Invalid ${file}: ${message}`, { file });
}

export function readPlan(file: string): Plan {
  if (!existsSync(file)) {
    throw new TinytownError('NOT_INITIALIZED', `No plan at ${file}; create one with 'tt plan --init'`, {
      file,
    });
  }
  let raw: Record<string, unknown>;
  try {
    raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw invalid(file, error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error));
  }
  const meta = (raw.meta ?? {}) as Plan['meta'];
  const list = raw.tasks ?? [];
  if (!Array.isArray(list)) throw invalid(file, '[[tasks]] must be an array of tables');
  const seen = new Set<string>();
  const tasks = list.map((entry: unknown, index): PlanTask => {
    const t = entry as Record<string, unknown>;
    if (typeof t.description !== 'string' || t.description.trim() === '') {
      throw invalid(file, `tasks[${index}] needs a description`);
    }
    const id = typeof t.id === 'string' && t.id.trim() !== '' ? t.id.trim() : `task-${index + 1}`;
    if (seen.has(id)) throw invalid(file, `duplicate task id '${id}'`);
    seen.add(id);
    const status = typeof t.status === 'string' ? t.status.toLowerCase() : 'pending';
    if (!PLAN_STATUSES.includes(status))
      throw invalid(file, `tasks[${index}].status '${status}' is not one of ${PLAN_STATUSES.join(', ')}`);
    const tags = Array.isArray(t.tags) ? t.tags.filter((tag): tag is string => typeof tag === 'string') : [];
    return {
      id,
      description: t.description,
      status,
      tags,
      ...(typeof t.agent === 'string' && t.agent ? { agent: t.agent } : {}),
      ...(typeof t.task_id === 'string' && t.task_id ? { task_id: t.task_id } : {}),
      ...(typeof t.result === 'string' ? { result: t.result } : {}),
    };
  });
  return { meta, tasks };
}

export function writePlan(file: string, plan: Plan): void {
  const header = '# Tinytown plan (see `tt plan --help`). `tt sync` keeps task_id and status up to date.\n';
  writeFileSync(file, `${header}${stringify({ meta: plan.meta, tasks: plan.tasks })}\n`);
}

function planTag(id: string): string {
  return `plan:${id}`;
}

function findTask(entry: PlanTask, byId: Map<string, Task>, all: Task[]): Task | undefined {
  if (entry.task_id) {
    const found = byId.get(entry.task_id);
    if (found) return found;
  }
  return all.find((task) => task.tags.includes(planTag(entry.id)));
}

/** A backlog task was never worked on, so a plan that calls it finished cancels it instead. */
async function finishLike(town: Town, task: Task, status: string): Promise<boolean> {
  if (isTerminalTaskState(task.state)) return false;
  const held = task.state !== 'pending';
  if (status === 'completed' && held) await town.tasks.complete(task.id, 'Completed (from the plan)');
  else if (status === 'failed' && held) await town.tasks.fail(task.id, 'Failed (from the plan)');
  else if (status === 'cancelled' || status === 'completed' || status === 'failed')
    await town.tasks.cancel(task.id, `Marked ${status} in the plan`);
  else return false;
  return true;
}

export async function syncPush(town: Town, plan: Plan) {
  const all = await town.tasks.list();
  const byId = new Map(all.map((task) => [task.id, task]));
  const result = { created: 0, updated: 0, unchanged: 0, skipped: 0 };
  for (const entry of plan.tasks) {
    const existing = findTask(entry, byId, all);
    if (existing) {
      entry.task_id = existing.id;
      if (isTerminalTaskState(existing.state) || !isTerminalTaskState(entry.status as Task['state'])) {
        result.unchanged += 1;
      } else if (await finishLike(town, existing, entry.status)) {
        result.updated += 1;
      } else {
        result.unchanged += 1;
      }
      continue;
    }
    if (isTerminalTaskState(entry.status as Task['state'])) {
      result.skipped += 1;
      continue;
    }
    const tags = [...entry.tags, planTag(entry.id)];
    const agent = entry.agent ?? plan.meta.default_agent;
    const created = agent
      ? (await town.tasks.assign(agent, entry.description, { tags })).task
      : await town.backlog.add(entry.description, { tags });
    entry.task_id = created.id;
    result.created += 1;
  }
  return result;
}

export async function syncPull(town: Town, plan: Plan) {
  const all = await town.tasks.list();
  const byId = new Map(all.map((task) => [task.id, task]));
  const names = await assigneeNames(town);
  const linked = new Set<string>();
  const result = { updated: 0, added: 0, unchanged: 0 };
  for (const entry of plan.tasks) {
    const task = findTask(entry, byId, all);
    if (!task) {
      result.unchanged += 1;
      continue;
    }
    linked.add(task.id);
    const agent = task.assigned_to ? nameOrShortId(names, task.assigned_to) : undefined;
    const before = JSON.stringify(entry);
    entry.task_id = task.id;
    entry.status = task.state;
    if (agent) entry.agent = agent;
    if (task.result) entry.result = task.result;
    if (JSON.stringify(entry) === before) result.unchanged += 1;
    else result.updated += 1;
  }
  const ids = new Set(plan.tasks.map((entry) => entry.id));
  for (const task of all) {
    if (linked.has(task.id)) continue;
    let id = `t-${task.id.slice(0, 8)}`;
    while (ids.has(id)) id = `${id}x`;
    ids.add(id);
    const agent = task.assigned_to ? nameOrShortId(names, task.assigned_to) : undefined;
    plan.tasks.push({
      id,
      description: task.description,
      status: task.state,
      tags: task.tags.filter((tag) => !tag.startsWith('plan:')),
      task_id: task.id,
      ...(agent ? { agent } : {}),
      ...(task.result ? { result: task.result } : {}),
    });
    result.added += 1;
  }
  return result;
}

export function registerPlanCommands(program: Command): void {
  examples(
    program
      .command('plan')
      .description(`Show the plan in ${PLAN_FILE} (no Redis needed); --init writes a template`)
      .option('-i, --init', `write a template ${PLAN_FILE}`)
      .option('--force', 'with --init: overwrite an existing plan')
      .action(
        act(async (ctx, opts: { init?: boolean; force?: boolean }) => {
          const file = join(ctx.root, PLAN_FILE);
          if (opts.init) {
            if (existsSync(file) && !opts.force) {
              throw new TinytownError(
                'CONFIG_INVALID',
                `${file} already exists; use --force to overwrite it`,
                { file },
              );
            }
            writeFileSync(file, TEMPLATE);
          }
          const plan = readPlan(file);
          ctx.out.result({ file, ...plan }, () => {
            ctx.out.line(`Plan ${file}${plan.meta.description ? `: ${plan.meta.description}` : ''}`);
            for (const task of plan.tasks) {
              // Only a pending task goes to (or waits on) the backlog; one that ended there was nobody's.
              const holder =
                task.agent ??
                (task.status === 'pending' ? (plan.meta.default_agent ?? 'backlog') : 'unassigned');
              ctx.out.line(
                `  ${task.status.padEnd(9)} [${holder}] ${task.id} - ${truncate(task.description, 60)}`,
              );
            }
          });
        }),
      ),
    'tt plan --init',
    'tt plan',
  );

  examples(
    program
      .command('sync')
      .description(
        `Push ${PLAN_FILE} into the town, or pull the town's task states back into it (both idempotent)`,
      )
      .argument('[direction]', 'push or pull', 'push')
      .action(
        act(async (ctx, direction: string) => {
          if (direction !== 'push' && direction !== 'pull') {
            throw new TinytownError('INVALID_INPUT', `sync: expected push or pull, got '${direction}'`, {
              field: 'direction',
              usage: true,
            });
          }
          const file = join(ctx.root, PLAN_FILE);
          const town = await ctx.town();
          const plan = existsSync(file) || direction === 'push' ? readPlan(file) : { meta: {}, tasks: [] };
          const before = JSON.stringify(plan);
          const counts = direction === 'push' ? await syncPush(town, plan) : await syncPull(town, plan);
          const written = JSON.stringify(plan) !== before || !existsSync(file);
          if (written) writePlan(file, plan);
          ctx.out.result({ direction, file, written, ...counts }, () =>
            ctx.out.line(
              `${direction === 'push' ? 'Pushed' : 'Pulled'}: ${Object.entries(counts)
                .map(([key, value]) => `${value} ${key}`)
                .join(', ')}${written ? ` (${file} updated)` : ''}`,
            ),
          );
        }),
      ),
    'tt sync push',
    'tt sync pull && git add tasks.toml',
  );
}
