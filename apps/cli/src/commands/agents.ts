import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  newestRoundLog,
  requireInstalledCli,
  resolveAgentCli,
  roundLogDir,
  runAgentLoop,
} from '@tinytown/agent';
import {
  type Agent,
  type AgentState,
  agentShortId,
  agentStateLabel,
  categorizeMessage,
  displayLabel,
  displayName,
  isTerminalAgentState,
  isTinytownError,
  type Message,
  plural,
  type Task,
  TinytownError,
  validateName,
} from '@tinytown/core';
import type { AgentWithQueues, Town, TransitionResult } from '@tinytown/store';
import { type Command, Option } from 'commander';
import { AGENT_REF, act, examples } from '../action.js';
import { activeMissions, describeMission } from '../active-missions.js';
import { type CliContext, parseNonNegative, parsePositiveInt } from '../context.js';
import type { Output } from '../output.js';
import { ago, truncate } from '../output.js';
import {
  agentPidFile,
  ensureTtShim,
  launchAgentProcess,
  liveAgentPid,
  removePidFile,
  signalAgentProcess,
  stopOrphanedRoundOf,
  waitForExit,
} from '../processes.js';

const STATE_COLOUR = {
  idle: 'green',
  working: 'cyan',
  starting: 'cyan',
  paused: 'yellow',
  draining: 'yellow',
  stopped: 'dim',
  cold: 'dim',
  error: 'red',
} as const;

export function stateText(out: Output, agent: Pick<Agent, 'state'>): string {
  return out.paint(STATE_COLOUR[agent.state], agentStateLabel(agent.state));
}

/**
 * An agent for people: its `Nickname [role]` label, and its name where the label hides it (the name is
 * what every command takes and what task listings and events show).
 */
export function agentLine(out: Output, agent: Agent): string {
  const label = displayLabel(agent);
  const named = displayName(agent) === agent.name || label.endsWith(`[${agent.name}]`);
  return `${out.paint('bold', label)} (${named ? '' : `${agent.name}, `}${agentShortId(agent)})`;
}

export interface InboxCounts {
  task: number;
  query: number;
  info: number;
  ack: number;
}

export function countMessages(messages: readonly Message[]): InboxCounts {
  const counts: InboxCounts = { task: 0, query: 0, info: 0, ack: 0 };
  for (const message of messages) {
    const category = categorizeMessage(message);
    if (category === 'task' || category === 'other') counts.task += 1;
    else if (category === 'query') counts.query += 1;
    else if (category === 'informational') counts.info += 1;
    else counts.ack += 1;
  }
  return counts;
}

interface LoopSettingsInput {
  maxRounds?: number;
}

function loopSettings(ctx: CliContext, input: LoopSettingsInput) {
  const agent = ctx.config.config.agent;
  return {
    maxRounds: input.maxRounds ?? agent.max_rounds,
    idleTimeoutMs: agent.idle_timeout_secs * 1000,
    roundTimeoutMs: agent.round_timeout_secs * 1000,
    autoClaim: agent.auto_claim,
    keepRoundLogs: agent.keep_round_logs,
  };
}

/** The newest round log of an agent on this machine and its last lines (what the CLI said last). */
async function lastRoundLog(root: string, agentId: string): Promise<{ file: string; tail: string[] } | null> {
  const file = await newestRoundLog(roundLogDir(root, agentId));
  if (file === null) return null;
  const lines = readFileEnd(file, LOG_TAIL_BYTES)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);
  return { file, tail: lines.slice(-8) };
}

/** How much of a round log's end is read for its last lines: a CLI may have printed gigabytes. */
const LOG_TAIL_BYTES = 64 * 1024;

/** The last `bytes` of a file as text, starting at a line boundary when the file is longer. */
function readFileEnd(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, read).toString('utf8');
    // Cut mid-file, the first line is a fragment (possibly of a multi-byte character).
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/** Where the town's townhall listens (`tt up` starts it there), for the agent's CLI. */
function townhallUrl(ctx: CliContext): string {
  const townhall = ctx.config.config.townhall;
  const bind = townhall?.bind ?? '127.0.0.1';
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${townhall?.rest_port ?? 8080}`;
}

/** Runs the round loop in this process until it ends; used by `agent-loop` and `spawn --foreground`. */
async function runLoopHere(ctx: CliContext, town: Town, agent: Agent, maxRounds: number | undefined) {
  const root = ctx.config.root;
  const pidFile = agentPidFile(root, agent.id);
  // A previous loop of this agent that died hard may have left its round running.
  await stopOrphanedRoundOf(root, agent.id);
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${process.pid}\n`);
  const binDir = ensureTtShim(root);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('SIGHUP', stop);
  try {
    return await runAgentLoop({
      town,
      agentId: agent.id,
      townRoot: root,
      settings: loopSettings(ctx, { ...(maxRounds === undefined ? {} : { maxRounds }) }),
      agentClis: ctx.config.config.agent_clis,
      redisUrl: ctx.config.redisUrl,
      townhallUrl: townhallUrl(ctx),
      extraEnv: { PATH: `${binDir}:${process.env.PATH ?? ''}`, TT_TOWN: root },
      signal: controller.signal,
      log: (line) => process.stdout.write(`${new Date().toISOString()} [${agent.name}] ${line}\n`),
    });
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', stop);
    removePidFile(pidFile);
  }
}

function startBackground(ctx: CliContext, agent: Agent, maxRounds: number | undefined) {
  return launchAgentProcess(ctx.config.root, agent.id, maxRounds === undefined ? {} : { maxRounds });
}

async function statusDocument(town: Town, ctx: CliContext, options: { deep?: boolean; tasks?: boolean }) {
  const [agents, tasks, backlog, missions] = await Promise.all([
    town.agents.list(),
    town.tasks.list(),
    town.backlog.length(),
    activeMissions(town),
  ]);
  const byState = { pending: 0, assigned: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const task of tasks) byState[task.state] += 1;
  const rows = await Promise.all(
    agents.map(async (agent) => {
      const inbox = await town.messages.peek(agent.id, 200);
      const running = tasks.filter((task) => task.assigned_to === agent.id && task.state === 'running');
      const row: AgentWithQueues & {
        pending: InboxCounts;
        running_tasks: Task[];
        activity?: string[];
        last_round?: { file: string; tail: string[] } | null;
      } = { ...agent, pending: countMessages(inbox.messages), running_tasks: running };
      if (options.deep) {
        row.activity = await town.agents.activity(agent.id, 5);
        row.last_round = await lastRoundLog(ctx.config.root, agent.id);
      }
      return row;
    }),
  );
  return {
    town: { name: town.name, root: ctx.config.root, redis: town.redactedUrl },
    agents: rows,
    tasks: {
      total: tasks.length,
      ...byState,
      in_flight: byState.assigned + byState.running,
      done: byState.completed + byState.failed + byState.cancelled,
      backlog,
    },
    missions,
    ...(options.tasks ? { task_list: tasks } : {}),
  };
}

/** The agent CLI `cli` names, refused when unknown or when its program is not installed on this machine. */
function requireRunnableCli(ctx: CliContext, cli: string): void {
  const { config, root } = ctx.config;
  requireInstalledCli(resolveAgentCli(cli, config.agent_clis), { townRoot: root });
}

type ControlCommand = 'kill' | 'close' | 'interrupt' | 'resume';

/** The states in which a control command has nothing left to do: the agent is already where it leads. */
const ALREADY_DONE: Record<ControlCommand, readonly AgentState[]> = {
  kill: ['stopped'],
  close: ['draining', 'stopped'],
  interrupt: ['paused'],
  resume: ['starting', 'idle', 'working'],
};

/**
 * Runs a control command. One with nothing left to do is no failure (`tt interrupt` twice, `tt kill` of an
 * agent the worker's reaper already stopped): the agent stays as it is, and a kill still ends what its
 * loop left running on this machine. A stopped agent asked to pause or resume is told how to start again.
 */
async function controlAgent(town: Town, command: ControlCommand, ref: string): Promise<TransitionResult> {
  try {
    return await town.agents[command](ref);
  } catch (error) {
    if (!isTinytownError(error) || error.code !== 'INVALID_TRANSITION') throw error;
    const agent = await town.agents.resolve(ref);
    if (ALREADY_DONE[command].includes(agent.state)) return { agent, previous: agent.state };
    if (isTerminalAgentState(agent.state)) {
      throw new TinytownError(
        'INVALID_TRANSITION',
        `Agent ${agent.name} is ${agent.state}: 'tt restart ${agent.name}' starts it again`,
        { agent: agent.name, state: agent.state },
        { cause: error },
      );
    }
    throw error;
  }
}

/** Restarts a stopped agent; one that is still live is refused with what to do instead. */
async function restartStopped(town: Town, ref: string): Promise<TransitionResult> {
  try {
    return await town.agents.restart(ref);
  } catch (error) {
    if (!isTinytownError(error) || error.code !== 'INVALID_TRANSITION') throw error;
    const agent = await town.agents.resolve(ref);
    if (isTerminalAgentState(agent.state)) throw error;
    throw new TinytownError(
      'INVALID_TRANSITION',
      `Agent ${agent.name} is ${agent.state}, not stopped: only a stopped agent can be restarted ('tt kill ${agent.name}' stops it)`,
      { agent: agent.name, state: agent.state },
      { cause: error },
    );
  }
}

export function registerAgentCommands(program: Command): void {
  examples(
    program
      .command('spawn')
      .description('Create an agent and start its round loop (in the background unless --foreground)')
      .argument('<name>', 'agent name: 1-64 letters, digits, ".", "_" or "-"')
      .option('-c, --cli <cli>', 'AI CLI preset or [agent_clis] entry (default: the town default_cli)')
      .option('--role <role>', 'role id (backend, tester, reviewer…): filters the backlog it sees')
      .option('--nickname <nickname>', 'display name')
      .option('--parent <agent>', 'parent agent')
      .option('--max-rounds <n>', 'rounds before the loop ends (default: [agent] max_rounds)')
      .option('--foreground', 'run the loop in this terminal until it ends')
      .action(
        act(
          async (
            ctx,
            name: string,
            opts: {
              cli?: string;
              role?: string;
              nickname?: string;
              parent?: string;
              maxRounds?: string;
              foreground?: boolean;
            },
          ) => {
            const config = ctx.config.config;
            const cli = opts.cli ?? config.default_cli;
            // Refuse a bad name, or an unknown or missing CLI, before anything is written.
            validateName(name, 'agent');
            requireRunnableCli(ctx, cli);
            const maxRounds =
              opts.maxRounds === undefined ? undefined : parsePositiveInt(opts.maxRounds, 'max-rounds');
            await ctx.ensureLocalRedis();
            const town = await ctx.town();
            const agent = await town.agents.register({
              name,
              cli,
              role: opts.role ?? null,
              nickname: opts.nickname ?? null,
              parent: opts.parent ?? null,
            });
            if (opts.foreground) {
              ctx.out.line(
                `Spawned ${agentLine(ctx.out, agent)} with CLI '${cli}'; running in the foreground (Ctrl-C stops it)`,
              );
              const result = await runLoopHere(ctx, town, agent, maxRounds);
              const final = await town.agents.get(agent.id).catch(() => agent);
              ctx.out.result({ agent: final, result }, () =>
                ctx.out.line(
                  `Agent ${agent.name} ended: ${result.reason} after ${plural(result.rounds, 'round')}`,
                ),
              );
              if (result.reason === 'error') {
                throw new TinytownError(
                  'INVALID_TRANSITION',
                  `agent ${agent.name} ended in error: ${result.error ?? 'see its log'}`,
                );
              }
              return;
            }
            const launched = startBackground(ctx, agent, maxRounds);
            ctx.out.result({ agent, pid: launched.pid, log: launched.log }, () => {
              ctx.out.line(`Spawned ${agentLine(ctx.out, agent)} with CLI '${cli}'`);
              ctx.out.line(`  id:  ${agent.id}`);
              ctx.out.line(`  pid: ${launched.pid}, log: ${launched.log}`);
              ctx.out.line(`  next: tt assign ${agent.name} "<task>"`);
            });
          },
        ),
      ),
    'tt spawn backend --cli claude --role backend',
    'tt spawn tester --foreground --max-rounds 3',
  );

  program
    .command('agent-loop', { hidden: true })
    .description('Run an agent’s round loop in this process (what spawn starts)')
    .argument('<agent>', AGENT_REF)
    .option('--max-rounds <n>', 'rounds before the loop ends')
    .action(
      act(async (ctx, ref: string, opts: { maxRounds?: string }) => {
        const town = await ctx.town();
        const agent = await town.agents.resolve(ref);
        const maxRounds =
          opts.maxRounds === undefined ? undefined : parsePositiveInt(opts.maxRounds, 'max-rounds');
        const result = await runLoopHere(ctx, town, agent, maxRounds);
        if (result.reason === 'error') process.exitCode = 1;
      }),
    );

  examples(
    program
      .command('list')
      .description('List the town’s agents')
      .action(
        act(async (ctx) => {
          const town = await ctx.town();
          const agents = await town.agents.list();
          ctx.out.result({ agents }, () => {
            if (agents.length === 0) {
              ctx.out.line("No agents. Run 'tt spawn <name>' to create one.");
              return;
            }
            for (const agent of agents) {
              const queued = agent.inbox_len + agent.urgent_len;
              ctx.out.line(
                `${agentLine(ctx.out, agent)}  ${stateText(ctx.out, agent)}  ${queued} queued, ${plural(agent.rounds_completed, 'round')}, ${plural(agent.tasks_completed, 'task')} done`,
              );
            }
            if (agents.some((agent) => isTerminalAgentState(agent.state))) {
              ctx.out.line(ctx.out.paint('dim', "Stopped agents can be removed with 'tt prune'."));
            }
          });
        }),
      ),
    'tt list',
    'tt list --json',
  );

  examples(
    program
      .command('status')
      .description('The town at a glance: agents, their inboxes and the task counts')
      .option('--deep', 'also recent activity per agent')
      .option('--tasks', 'also every task, grouped by assignee')
      .action(
        act(async (ctx, opts: { deep?: boolean; tasks?: boolean }) => {
          const town = await ctx.town();
          const doc = await statusDocument(town, ctx, opts);
          ctx.out.result(doc, () => {
            const { out } = ctx;
            out.line(`${out.paint('bold', 'Town')} ${doc.town.name}  ${out.paint('dim', doc.town.root)}`);
            out.line(`${out.paint('bold', 'Redis')} ${doc.town.redis}`);
            out.line(`${out.paint('bold', 'Agents')} ${doc.agents.length}`);
            for (const agent of doc.agents) {
              const p = agent.pending;
              const queued = agent.inbox_len + agent.urgent_len;
              out.line(
                `  ${agentLine(out, agent)} ${stateText(out, agent)} - ${queued} queued (T:${p.task} Q:${p.query} I:${p.info} C:${p.ack}), ${plural(agent.rounds_completed, 'round')}, ${agent.tasks_completed} done, heartbeat ${ago(agent.last_heartbeat)}`,
              );
              for (const task of agent.running_tasks) {
                out.line(
                  `     └─ working on ${task.id.slice(0, 8)}: ${truncate(task.description, 60)} (started ${ago(task.started_at)})`,
                );
              }
              for (const line of agent.activity ?? [])
                out.line(out.paint('dim', `     · ${truncate(line, 100)}`));
              if (agent.last_round) {
                out.line(`     last round: ${agent.last_round.file}`);
                for (const line of agent.last_round.tail)
                  out.line(out.paint('dim', `       │ ${truncate(line, 100)}`));
              }
            }
            const t = doc.tasks;
            out.line(
              `${out.paint('bold', 'Tasks')} ${t.total} total: ${t.pending} pending (${t.backlog} in the backlog), ${t.in_flight} in flight, ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled`,
            );
            if (doc.missions.length > 0) {
              out.line(`${out.paint('bold', 'Missions')} ${doc.missions.length} active`);
              for (const mission of doc.missions) {
                out.line(`  ${mission.id.slice(0, 8)} ${describeMission(mission)}`);
              }
            }
            if (doc.task_list) {
              const names = new Map(doc.agents.map((agent) => [agent.id, agent.name]));
              for (const task of doc.task_list) {
                const who = task.assigned_to
                  ? (names.get(task.assigned_to) ?? task.assigned_to.slice(0, 8))
                  : 'unassigned';
                out.line(
                  `  ${task.state.padEnd(9)} ${task.id.slice(0, 8)} [${who}] ${truncate(task.description, 60)}`,
                );
              }
            }
          });
        }),
      ),
    'tt status',
    'tt status --deep --tasks',
    'tt status --json',
  );

  const control = (name: ControlCommand, description: string, verb: string, signalProcess: boolean) =>
    examples(
      program
        .command(name)
        .description(description)
        .argument('<agent>', AGENT_REF)
        .action(
          act(async (ctx, ref: string) => {
            const town = await ctx.town();
            const { agent, previous } = await controlAgent(town, name, ref);
            // A kill also reaches the local process at once, so a running round ends now; with the loop
            // already dead, it ends the round the loop left behind.
            const signalled =
              signalProcess &&
              (signalAgentProcess(ctx.config.root, agent.id) ||
                (await stopOrphanedRoundOf(ctx.config.root, agent.id)));
            ctx.out.result({ agent, previous_state: previous, signalled }, () =>
              ctx.out.line(
                previous === agent.state
                  ? `${agentLine(ctx.out, agent)} was already ${agent.state}${signalled ? '; stopped what it left running here' : ''}`
                  : `${verb} ${agentLine(ctx.out, agent)}: ${previous} -> ${agent.state}`,
              ),
            );
          }),
        ),
      `tt ${name} backend`,
    );
  control(
    'kill',
    'Stop an agent now; a running round is killed and its work goes back to the inbox',
    'Killed',
    true,
  );
  control('close', 'Let an agent finish its current round, then stop', 'Closing', false);
  control('interrupt', 'Pause an agent between rounds', 'Paused', false);
  control('resume', 'Resume a paused agent', 'Resumed', false);

  examples(
    program
      .command('restart')
      .description('Start a stopped agent again (same id, rounds reset)')
      .argument('<agent>', AGENT_REF)
      .option('--max-rounds <n>', 'rounds before the loop ends')
      .option('--foreground', 'run the loop in this terminal')
      .action(
        act(async (ctx, ref: string, opts: { maxRounds?: string; foreground?: boolean }) => {
          const maxRounds =
            opts.maxRounds === undefined ? undefined : parsePositiveInt(opts.maxRounds, 'max-rounds');
          await ctx.ensureLocalRedis();
          const town = await ctx.town();
          requireRunnableCli(ctx, (await town.agents.resolve(ref)).cli);
          const { agent } = await restartStopped(town, ref);
          if (opts.foreground) {
            const result = await runLoopHere(ctx, town, agent, maxRounds);
            ctx.out.result({ agent: await town.agents.get(agent.id), result }, () =>
              ctx.out.line(
                `Agent ${agent.name} ended: ${result.reason} after ${plural(result.rounds, 'round')}`,
              ),
            );
            if (result.reason === 'error')
              throw new TinytownError('INVALID_TRANSITION', `agent ${agent.name} ended in error`);
            return;
          }
          const launched = startBackground(ctx, agent, maxRounds);
          ctx.out.result({ agent, pid: launched.pid, log: launched.log }, () =>
            ctx.out.line(`Restarted ${agentLine(ctx.out, agent)} (pid ${launched.pid}, log ${launched.log})`),
          );
        }),
      ),
    'tt restart backend',
  );

  examples(
    program
      .command('wait')
      .description('Wait until an agent has stopped (exit 1 if the timeout passes first)')
      .argument('<agent>', AGENT_REF)
      .option('--timeout <secs>', 'give up after this many seconds')
      .action(
        act(async (ctx, ref: string, opts: { timeout?: string }) => {
          const town = await ctx.town();
          const timeoutMs =
            opts.timeout === undefined ? undefined : parseNonNegative(opts.timeout, 'timeout') * 1000;
          const agent = await town.agents.resolve(ref);
          const deadline = Date.now() + (timeoutMs ?? 0);
          const controller = new AbortController();
          const onSigint = () => controller.abort();
          process.once('SIGINT', onSigint);
          const stop = ctx.out.progress(`Waiting for ${agent.name} to stop`);
          try {
            const waited = await town.agents.waitUntilTerminal(agent.id, {
              ...(timeoutMs === undefined ? {} : { timeoutMs }),
              pollMs: 250,
              signal: controller.signal,
            });
            // A stopped agent's local process may still be returning its round's work: wait for it too.
            const pid = liveAgentPid(ctx.config.root, agent.id);
            if (!waited.timedOut && pid !== undefined) {
              const left = timeoutMs === undefined ? 60_000 : Math.max(0, deadline - Date.now());
              await waitForExit(pid, left);
            }
            stop();
            ctx.out.result({ agent: waited.agent, timed_out: waited.timedOut }, () =>
              ctx.out.line(`${agentLine(ctx.out, waited.agent)} is ${stateText(ctx.out, waited.agent)}`),
            );
            if (waited.timedOut) {
              throw new TinytownError(
                'TIMEOUT',
                `${agent.name} is still ${waited.agent.state} after the timeout`,
              );
            }
          } finally {
            stop();
            process.off('SIGINT', onSigint);
          }
        }),
      ),
    'tt wait backend --timeout 600',
  );

  examples(
    program
      .command('prune')
      .description('Remove stopped agents (with --all: every agent, stopping live ones first)')
      .option('--all', 'remove every agent')
      .action(
        act(async (ctx, opts: { all?: boolean }) => {
          const town = await ctx.town();
          if (opts.all) {
            // Live agents are stopped first, and their local processes given time to return their work.
            const waiting: number[] = [];
            for (const agent of await town.agents.list()) {
              if (!isTerminalAgentState(agent.state)) await town.agents.kill(agent.id).catch(() => undefined);
              const pid = liveAgentPid(ctx.config.root, agent.id);
              if (pid !== undefined && signalAgentProcess(ctx.config.root, agent.id)) waiting.push(pid);
            }
            await Promise.all(waiting.map((pid) => waitForExit(pid, 15_000)));
          }
          const removed = await town.agents.prune({ all: opts.all === true });
          ctx.out.result({ removed }, () =>
            ctx.out.line(
              removed.length === 0
                ? 'No agents to prune.'
                : `Pruned ${plural(removed.length, 'agent')}: ${removed.join(', ')}`,
            ),
          );
        }),
      ),
    'tt prune',
    'tt prune --all',
  );

  examples(
    program
      .command('recover')
      .description(
        'Stop agents whose lease ran out, return their in-flight work to their queues, and stop any round a dead loop left running here',
      )
      .action(
        act(async (ctx) => {
          const town = await ctx.town();
          const result = await town.recovery.recover();
          // Their loops are dead (the lease lapsed); a round one of them left running on this machine
          // would go on working on messages that are now back in the queue.
          const stopped = await Promise.all(
            result.recovered.map((agent) => stopOrphanedRoundOf(ctx.config.root, agent.id)),
          );
          // The worker's reaper recovers lapsed leases too, and cannot reach this machine's processes: an
          // agent it stopped may have left a round running here all the same.
          const recoveredIds = new Set(result.recovered.map((agent) => agent.id));
          const stoppedElsewhere = (await town.agents.list()).filter(
            (agent) => agent.state === 'stopped' && !recoveredIds.has(agent.id),
          );
          const leftRunning: Agent[] = [];
          for (const agent of stoppedElsewhere)
            if (await stopOrphanedRoundOf(ctx.config.root, agent.id)) leftRunning.push(agent);
          const doc = {
            checked: result.checked,
            recovered: result.recovered,
            messages_returned: result.messagesReturned,
            tasks_requeued: result.tasksRequeued,
            orphaned_rounds_stopped: stopped.filter(Boolean).length + leftRunning.length,
          };
          ctx.out.result(doc, () => {
            result.recovered.forEach((agent, index) => {
              const round = stopped[index] ? '; stopped the round it left running' : '';
              ctx.out.line(
                `Recovered ${agentLine(ctx.out, agent)} (was ${agent.state}, last heartbeat ${ago(agent.last_heartbeat)}${round})`,
              );
            });
            for (const agent of leftRunning)
              ctx.out.line(
                `Stopped the round ${agentLine(ctx.out, agent)} left running (it was already stopped)`,
              );
            ctx.out.line(
              `${plural(result.recovered.length, 'agent')} recovered of ${result.checked} with a lease; ${plural(result.messagesReturned, 'message')} returned, ${plural(result.tasksRequeued, 'task')} back to assigned`,
            );
            if (result.recovered.length > 0) {
              ctx.out.line("Move their work on with 'tt reclaim --to-backlog' or 'tt restart <agent>'.");
            }
          });
        }),
      ),
    'tt recover',
  );

  examples(
    program
      .command('reclaim')
      .description('Work held by stopped agents: list it, or move it to the backlog or another agent')
      .option('--to-backlog', 'put their tasks back in the backlog')
      .option('--to <agent>', 'give everything to this agent')
      .option('--from <agent>', 'only this stopped agent')
      .option('--orphan-tasks', 'unfinished tasks whose assignee is gone or stopped')
      .addOption(
        new Option('--cancel', 'with --orphan-tasks: cancel them').conflicts(['delete', 'toBacklog', 'to']),
      )
      .addOption(new Option('--delete', 'with --orphan-tasks: delete them').conflicts(['toBacklog', 'to']))
      .action(
        act(
          async (
            ctx,
            opts: {
              toBacklog?: boolean;
              to?: string;
              from?: string;
              orphanTasks?: boolean;
              cancel?: boolean;
              delete?: boolean;
            },
          ) => {
            const town = await ctx.town();
            if (opts.orphanTasks) {
              const action = opts.cancel
                ? 'cancel'
                : opts.delete
                  ? 'delete'
                  : opts.toBacklog
                    ? 'to_backlog'
                    : 'list';
              const orphans = await town.recovery.reclaimOrphans(action);
              ctx.out.result({ action, orphans }, () => {
                ctx.out.line(
                  `${plural(orphans.length, 'orphan task')}${action === 'list' ? '' : ` handled (${action})`}`,
                );
                for (const { task, reason } of orphans) {
                  ctx.out.line(
                    `  ${task.id} (${task.state}) -> ${task.assigned_to ?? '-'} [${reason}] ${truncate(task.description, 50)}`,
                  );
                }
              });
              return;
            }
            if (opts.cancel || opts.delete) {
              throw new TinytownError('INVALID_INPUT', '--cancel and --delete need --orphan-tasks', {
                field: 'cancel',
                usage: true,
              });
            }
            const result = await town.recovery.reclaim({
              ...(opts.toBacklog ? { toBacklog: true } : {}),
              ...(opts.to ? { to: opts.to } : {}),
              ...(opts.from ? { from: opts.from } : {}),
            });
            ctx.out.result(result, () => {
              const holding = result.work.filter((held) => held.messages.length + held.tasks.length > 0);
              if (result.reclaimed === 0 && holding.length === 0) {
                ctx.out.line(
                  `Nothing to reclaim: ${opts.from ? `${opts.from} holds` : 'no stopped agent holds'} any messages or tasks`,
                );
                return;
              }
              if (result.destination.kind === 'listed') {
                ctx.out.line(
                  `${plural(result.reclaimed, 'item')} held by stopped agents (nothing moved; use --to-backlog or --to <agent>):`,
                );
              } else {
                const where =
                  result.destination.kind === 'agent' ? result.destination.agent.name : 'the backlog';
                ctx.out.line(`Reclaimed ${plural(result.reclaimed, 'item')} to ${where}`);
              }
              for (const held of holding) {
                ctx.out.line(
                  `  ${held.agent.name}: ${plural(held.messages.length, 'message')}, ${plural(held.tasks.length, 'task')}`,
                );
                for (const task of held.tasks)
                  ctx.out.line(`    task ${task.id} (${task.state}) ${truncate(task.description, 50)}`);
              }
            });
          },
        ),
      ),
    'tt reclaim',
    'tt reclaim --to-backlog',
    'tt reclaim --from backend --to tester',
    'tt reclaim --orphan-tasks --cancel',
  );
}
