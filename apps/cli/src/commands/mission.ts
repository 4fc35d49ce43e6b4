import { execFileSync } from 'node:child_process';
import {
  isTinytownError,
  objectiveLabel,
  plural,
  TERMINAL_MISSION_STATES,
  TinytownError,
  type WatchItem,
  type WorkItem,
  WorkStatus,
} from '@tinytown/core';
import {
  createGitHubForge,
  MissionService,
  needsDefaultRepo,
  parseObjectiveInput,
  parseRepo,
  type RepoRef,
  repoFromRemoteUrl,
} from '@tinytown/mission';
import type { Command } from 'commander';
import { act, examples } from '../action.js';
import { type CliContext, parseChoice, parsePositiveInt } from '../context.js';
import { assigneeNames } from './work.js';

const MISSION_ID = 'mission id, or its first 4 or more characters as tt mission list shows them';

/** `assigned` is the dispatcher's to set (a redirect note names the agent); the service says so too. */
const WORK_ITEM_STATUSES = WorkStatus.options.filter((status) => status !== 'assigned');

/** Who a work item went to, by name as every other listing says it (the id if the agent is gone). */
function assignee(item: WorkItem, names: ReadonlyMap<string, string>): string | undefined {
  return item.assigned_to ? (names.get(item.assigned_to) ?? item.assigned_to) : undefined;
}

function printWorkItem(ctx: CliContext, item: WorkItem, names: ReadonlyMap<string, string>): void {
  ctx.out.line(`Work item ${item.id}: ${item.status}`);
  ctx.out.line(`  ${item.kind} '${item.title}'${item.source_ref ? ` (${item.source_ref})` : ''}`);
  const agent = assignee(item, names);
  if (agent) ctx.out.line(`  assigned to: ${agent}`);
  if (item.depends_on.length > 0)
    ctx.out.line(`  depends on: ${item.depends_on.map((dep) => dep.slice(0, 8)).join(', ')}`);
  if (item.artifact_refs.length > 0) ctx.out.line(`  artifacts: ${item.artifact_refs.join(', ')}`);
  if (item.task_ids.length > 0)
    ctx.out.line(`  tasks: ${item.task_ids.map((task) => task.slice(0, 8)).join(', ')}`);
}

/**
 * A watch as status lists it: when it looks next and, while its checks fail, how often and the last error
 * (what the help request about a failing watch sends the operator here to read).
 */
function watchLine(watch: WatchItem): string {
  const head = `watch ${watch.id.slice(0, 8)} ${watch.kind} ${watch.target_ref} ${watch.status}`;
  if (watch.status === 'done') return head;
  const failing =
    watch.consecutive_failures > 0
      ? `; ${plural(watch.consecutive_failures, 'failed check')} in a row, last: ${watch.last_error ?? 'no error recorded'}`
      : '';
  return `${head}, next check ${watch.next_due_at}${failing}`;
}

/**
 * Missions move only while a worker runs their dispatcher; without one a started mission sits there, and
 * nothing else would say why. Undefined while a worker is running.
 */
async function noWorkerNote(ctx: CliContext): Promise<string | undefined> {
  const state = await (await ctx.town()).probes.dispatcherState();
  if (state === 'running') return undefined;
  const why =
    state === 'stalled' ? 'The town’s worker has stopped answering' : 'No worker is running for this town';
  return `${why}: nothing is scheduled until one runs ('tt up', or 'tinytown-worker --town ${ctx.config.root}').`;
}

/** The mission a full id or its first characters (as `tt mission list` prints them) mean. */
async function missionId(ctx: CliContext, ref: string): Promise<string> {
  return (await ctx.town()).missions.resolveId(ref);
}

/**
 * The refusal to delete a mission that has not ended, with the exact commands: the town's own message
 * speaks of "force" in general, as REST's `?force=true` reads it too.
 */
function stillActive(id: string, refusal: TinytownError): TinytownError {
  const short = id.slice(0, 8);
  return new TinytownError(
    'INVALID_TRANSITION',
    `Mission ${id} is ${String(refusal.details.state)}; only a completed or failed mission is deleted. 'tt mission delete ${short} --force' fails it first (its open tasks are cancelled), then deletes it with its work items, watches, notes and events; its finished tasks stay`,
    { ...refusal.details },
    { cause: refusal },
  );
}

/** The mission engine over this town; GitHub comes from GITHUB_TOKEN / GITHUB_API_URL. */
async function missions(ctx: CliContext): Promise<MissionService> {
  const forge = createGitHubForge({
    ...(process.env.GITHUB_TOKEN ? { token: process.env.GITHUB_TOKEN } : {}),
    ...(process.env.GITHUB_API_URL ? { baseUrl: process.env.GITHUB_API_URL } : {}),
  });
  return new MissionService({ town: await ctx.town(), forge, townRoot: ctx.config.root });
}

/** The repository of the town's git `origin`, if it has one that names a hosted repository. */
function originRepo(root: string): RepoRef | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return repoFromRemoteUrl(url);
  } catch {
    return undefined;
  }
}

/** The repository for objectives typed as `#12`: --repo, else the town's git origin. */
function defaultRepo(
  ctx: CliContext,
  repo: string | undefined,
  inputs: readonly string[],
): RepoRef | undefined {
  if (repo !== undefined) {
    const parsed = parseRepo(repo);
    if (!parsed) {
      throw new TinytownError('INVALID_INPUT', `--repo: expected owner/repo, got '${repo}'`, {
        field: 'repo',
        usage: true,
      });
    }
    return parsed;
  }
  return inputs.some(needsDefaultRepo) ? originRepo(ctx.config.root) : undefined;
}

export function registerMissionCommands(program: Command): void {
  const mission = examples(
    program
      .command('mission')
      .description(
        'Mission Mode: issues and design docs become a work graph the worker schedules onto agents',
      ),
    'tt mission start acme/app#12 acme/app#13 docs/design.md',
    'tt mission status 7f3c2b9d --work',
  );

  examples(
    mission
      .command('start')
      .description('Compile objectives into a mission and start it (the worker schedules it)')
      .argument(
        '<objectives...>',
        'owner/repo#N, an issue URL, #N (in --repo or the git origin), or a doc path (*.md or doc:path)',
      )
      .option('--repo <owner/repo>', 'repository for objectives given as #N (default: the git origin)')
      .option('--max-parallel <n>', 'work items in progress at once', '2')
      .option('--no-reviewer', 'finish implement/test items without a review task')
      .option('--auto-merge', 'merge pull requests once approved, green and mergeable')
      .action(
        act(
          async (
            ctx,
            inputs: string[],
            opts: { repo?: string; maxParallel: string; reviewer: boolean; autoMerge?: boolean },
          ) => {
            const repo = defaultRepo(ctx, opts.repo, inputs);
            const objectives = inputs.map((input) => parseObjectiveInput(input, repo));
            const started = await (await missions(ctx)).start({
              objectives,
              policy: {
                max_parallel_items: parsePositiveInt(opts.maxParallel, 'max-parallel'),
                reviewer_required: opts.reviewer,
                auto_merge: opts.autoMerge === true,
              },
            });
            const unscheduled = await noWorkerNote(ctx);
            ctx.out.result(started, () => {
              ctx.out.line(
                `Mission ${started.mission.id} started with ${plural(started.work_items.length, 'work item')}:`,
              );
              for (const item of started.work_items) {
                ctx.out.line(`  ${item.id.slice(0, 8)} ${item.kind.padEnd(10)} ${item.title}`);
              }
              if (unscheduled) ctx.out.note(unscheduled);
            });
          },
        ),
      ),
    'tt mission start acme/app#12 acme/app#13',
    'tt mission start "#12" "#13" --repo acme/app --max-parallel 3 --no-reviewer',
    'tt mission start 12 docs/design.md   # #12 of the git origin’s repository',
  );

  examples(
    mission
      .command('list')
      .description('List missions with their progress (active ones unless --all)')
      .option('--all', 'include completed and failed missions')
      .action(
        act(async (ctx, opts: { all?: boolean }) => {
          const list = await (await missions(ctx)).list({ activeOnly: opts.all !== true });
          ctx.out.result({ missions: list, count: list.length }, () => {
            if (list.length === 0) ctx.out.line('No missions.');
            for (const m of list) {
              ctx.out.line(`${m.id}  ${m.state.padEnd(9)} ${m.completed_count}/${m.work_item_count} done`);
            }
          });
        }),
      ),
    'tt mission list --all',
  );

  examples(
    mission
      .command('status')
      .description('Show a mission with its summary counts; --work, --watches and --events add detail')
      .argument('<mission-id>', MISSION_ID)
      .option('--work', 'list the work items')
      .option('--watches', 'list the pull-request watches')
      .option('--events', 'show recent mission events')
      .action(
        act(async (ctx, id: string, opts: { work?: boolean; watches?: boolean; events?: boolean }) => {
          const view = await (await missions(ctx)).get(await missionId(ctx, id), {
            includeWork: opts.work === true,
            includeWatches: opts.watches === true,
            includeEvents: opts.events === true,
          });
          const unscheduled = view.mission.state === 'running' ? await noWorkerNote(ctx) : undefined;
          const names = view.work_items ? await assigneeNames(await ctx.town()) : new Map<string, string>();
          ctx.out.result(view, () => {
            const { mission: m, summary } = view;
            if (unscheduled) ctx.out.note(unscheduled);
            ctx.out.line(`Mission ${m.id}: ${m.state}${m.blocked_reason ? ` (${m.blocked_reason})` : ''}`);
            ctx.out.line(`  objectives: ${m.objective_refs.map(objectiveLabel).join(', ')}`);
            ctx.out.line(
              `  work: ${summary.done}/${summary.total_work_items} done, ${summary.running} running, ${summary.assigned} assigned, ${summary.ready} ready, ${summary.pending} pending, ${summary.blocked} blocked; ${plural(summary.active_watches, 'active watch', 'active watches')}`,
            );
            for (const failed of view.failed_items) {
              const item = failed.work_item_id.slice(0, 8);
              ctx.out.line(`  ${item} '${failed.title}' is blocked: ${failed.reason}`);
              ctx.out.line(
                `    ${failed.help_requested ? 'the conductor has been asked for help; ' : ''}retry it: tt mission item ${m.id.slice(0, 8)} ${item} --status ready (or note "redirect ${item} to <agent>"); skip it: --status done`,
              );
            }
            for (const item of view.work_items ?? []) {
              const agent = assignee(item, names);
              ctx.out.line(
                `  ${item.id.slice(0, 8)} ${item.status.padEnd(8)} ${item.kind.padEnd(10)} ${item.title}${agent ? ` [${agent}]` : ''}`,
              );
            }
            for (const watch of view.watches ?? []) ctx.out.line(`  ${watchLine(watch)}`);
            for (const line of view.events ?? []) ctx.out.line(`  ${line}`);
          });
        }),
      ),
    'tt mission status 7f3c2b9d --work --watches',
  );

  examples(
    mission
      .command('stop')
      .description('Pause a mission (resumable); --force fails it and cancels its open tasks')
      .argument('<mission-id>', MISSION_ID)
      .option('--force', 'fail the mission instead of pausing it')
      .action(
        act(async (ctx, id: string, opts: { force?: boolean }) => {
          const result = await (await missions(ctx)).stop(await missionId(ctx, id), {
            force: opts.force === true,
          });
          ctx.out.result(result, () =>
            ctx.out.line(
              // As `tt kill` of a stopped agent: not an error, and said plainly.
              result.previous_state === result.new_state
                ? `Mission ${result.mission_id} was already stopped; 'tt mission resume ${result.mission_id.slice(0, 8)}' runs it again`
                : `Mission ${result.mission_id}: ${result.previous_state} -> ${result.new_state}`,
            ),
          );
        }),
      ),
    'tt mission stop 7f3c2b9d',
  );

  examples(
    mission
      .command('resume')
      .description('Resume a stopped mission (state blocked); one already running is left as it is')
      .argument('<mission-id>', MISSION_ID)
      .action(
        act(async (ctx, id: string) => {
          const resolved = await missionId(ctx, id);
          const result = await (await missions(ctx)).resume(resolved).catch((error: unknown) => {
            // The service refuses a running mission (REST's 409); here, as `tt mission stop` of a stopped
            // one, it is nothing to do, said plainly.
            if (isTinytownError(error, 'INVALID_TRANSITION') && error.details.state === 'running') {
              const running = 'running' as const;
              return {
                mission_id: resolved,
                status: 'already running',
                previous_state: running,
                new_state: running,
              };
            }
            throw error;
          });
          const unscheduled = await noWorkerNote(ctx);
          ctx.out.result(result, () => {
            ctx.out.line(
              result.previous_state === result.new_state
                ? `Mission ${result.mission_id} was already running`
                : `Mission ${result.mission_id}: ${result.previous_state} -> ${result.new_state}`,
            );
            if (unscheduled) ctx.out.note(unscheduled);
          });
        }),
      ),
    'tt mission resume 7f3c2b9d',
  );

  examples(
    mission
      .command('delete')
      .description(
        'Delete a completed or failed mission with its work items, watches, notes and events (its tasks stay)',
      )
      .argument('<mission-id>', MISSION_ID)
      .option(
        '--force',
        'delete a mission that has not ended: it is failed first, which cancels its open tasks',
      )
      .action(
        act(async (ctx, id: string, opts: { force?: boolean }) => {
          const resolved = await missionId(ctx, id);
          const result = await (await missions(ctx))
            .delete(resolved, { force: opts.force === true })
            .catch((error: unknown) => {
              throw isTinytownError(error, 'INVALID_TRANSITION') ? stillActive(resolved, error) : error;
            });
          ctx.out.result(result, () => ctx.out.line(`Deleted mission ${result.mission_id}`));
        }),
      ),
    'tt mission delete 7f3c2b9d',
    'tt mission delete 7f3c2b9d --force   # a mission that is still running or stopped',
  );

  examples(
    mission
      .command('item')
      .description(
        'Show one work item of a mission; --status or --artifact change it (ready: hand it out again; done: skip it)',
      )
      .argument('<mission-id>', MISSION_ID)
      .argument(
        '<item-id>',
        'work item id, or its first 4 or more characters as tt mission status --work shows them',
      )
      .option('--status <status>', `set the status: ${WORK_ITEM_STATUSES.join(', ')}`)
      .option('--artifact <ref...>', 'add artifacts: pull request URLs or other references')
      .action(
        act(async (ctx, id: string, itemRef: string, opts: { status?: string; artifact?: string[] }) => {
          const status =
            opts.status === undefined ? undefined : parseChoice(opts.status, 'status', WORK_ITEM_STATUSES);
          const resolved = await missionId(ctx, id);
          const itemId = await (await ctx.town()).missions.resolveWorkItemId(resolved, itemRef);
          const service = await missions(ctx);
          const names = await assigneeNames(await ctx.town());
          if (status === undefined && opts.artifact === undefined) {
            const item = await service.getWorkItem(resolved, itemId);
            ctx.out.result({ item }, () => printWorkItem(ctx, item, names));
            return;
          }
          const result = await service.updateWorkItem(resolved, itemId, {
            ...(status === undefined ? {} : { status }),
            ...(opts.artifact === undefined ? {} : { artifacts: opts.artifact }),
          });
          ctx.out.result(result, () => {
            printWorkItem(ctx, result.item, names);
            if (result.submission) ctx.out.line(`  submission: ${result.submission.replaceAll('_', ' ')}`);
          });
        }),
      ),
    'tt mission item 7f3c2b9d 1a2b3c4d',
    'tt mission item 7f3c2b9d 1a2b3c4d --status ready    # its task failed: hand it out again',
    'tt mission item 7f3c2b9d 1a2b3c4d --status done --artifact https://github.com/acme/app/pull/7',
  );

  examples(
    mission
      .command('note')
      .description("Leave the dispatcher a note: 'pause …', 'resume …' or 'redirect <item> to <agent> …'")
      .argument('<mission-id>', MISSION_ID)
      .argument('<text>', 'the note')
      .action(
        act(async (ctx, id: string, text: string) => {
          const note = await (await missions(ctx)).addNote(await missionId(ctx, id), {
            body: text,
            sender: 'conductor',
          });
          const { state } = await (await ctx.town()).missions.get(note.mission_id);
          // A finished mission is ticked once more only to log that its notes are ignored.
          const finished = TERMINAL_MISSION_STATES.includes(state);
          const unscheduled = finished ? undefined : await noWorkerNote(ctx);
          ctx.out.result({ note }, () => {
            ctx.out.line(
              finished
                ? `Noted in the log of mission ${note.mission_id}; it is ${state}, so nothing acts on the note.`
                : `Noted for mission ${note.mission_id}; the next tick reads it.`,
            );
            if (unscheduled) ctx.out.note(unscheduled);
          });
        }),
      ),
    'tt mission note 7f3c2b9d "pause: waiting for the API freeze"',
  );
}
