import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type Agent,
  type AgentCliConfigInput,
  type AgentState,
  isTerminalAgentState,
  isTerminalTaskState,
  isTinytownError,
  type Message,
  parseId,
  plural,
  TinytownError,
} from '@tinytown/core';
import type { Town } from '@tinytown/store';
import { backlogSnapshot, inferRoleHint, taskMatchesRole } from './backlog-match.js';
import { requireInstalledCli } from './cli-executable.js';
import { type AgentLoopSettings, type CheckedLoopSettings, checkLoopSettings } from './loop-settings.js';
import { type ResolvedCli, resolveAgentCli } from './presets.js';
import { type RoundOutcome, runCliRound } from './process-runner.js';
import { buildRoundPrompt, type PromptTask } from './prompt.js';
import {
  classifyRound,
  type RoundClassification,
  type Sender,
  withoutStaleAssignments,
} from './round-classifier.js';
import { buildRoundEnv } from './round-env.js';
import { pruneRoundLogs, roundLogDir, roundLogFile } from './round-logs.js';
import { roundPidFile } from './round-pid-file.js';

export interface AgentLoopOptions {
  readonly town: Town;
  readonly agentId: string;
  /** The town directory: the CLI's working directory (unless its config says otherwise) and where logs go. */
  readonly townRoot: string;
  readonly settings: AgentLoopSettings;
  /** `[agent_clis]` entries as written in tinytown.toml (`env` may be left out). */
  readonly agentClis?: Readonly<Record<string, AgentCliConfigInput>> | undefined;
  /** Passed to the CLI as REDIS_URL so its `tt` commands reach the same Redis. */
  readonly redisUrl?: string | undefined;
  readonly townhallUrl?: string | undefined;
  /** Added to the CLI's environment before Tinytown's identity (PATH with a `tt` shim, TT_TOWN…). */
  readonly extraEnv?: Readonly<Record<string, string>> | undefined;
  /** Base environment of the CLI; default `process.env`. */
  readonly baseEnv?: NodeJS.ProcessEnv | undefined;
  /** How often an idle loop looks at its inbox. Default 1 s. */
  readonly pollMs?: number | undefined;
  /** Lease renewal while the CLI runs; default a third of the store's lease. */
  readonly tickMs?: number | undefined;
  readonly killGraceMs?: number | undefined;
  /** Consecutive failed rounds before the agent is put in `error`. Default 3. */
  readonly maxConsecutiveFailures?: number | undefined;
  /** How long Redis may stay unreachable before the loop gives up. Default 5 min. */
  readonly redisOutageMs?: number | undefined;
  /** Aborting stops the loop: a running CLI is killed and its messages go back to the inbox. */
  readonly signal?: AbortSignal | undefined;
  /** One line per thing worth knowing; default nothing. */
  readonly log?: ((line: string) => void) | undefined;
}

export type AgentLoopExit =
  | 'max_rounds'
  | 'stopped'
  | 'closed'
  | 'killed'
  | 'idle_timeout'
  | 'aborted'
  | 'removed'
  | 'error';

export interface AgentLoopResult {
  readonly reason: AgentLoopExit;
  /** Rounds in which the CLI ran. */
  readonly rounds: number;
  readonly failedRounds: number;
  readonly finalState: AgentState | undefined;
  readonly error?: string;
}

export interface RoundRecord {
  readonly round: number;
  readonly outcome: RoundOutcome;
  readonly logFile: string;
  readonly messageIds: readonly string[];
  readonly requeued: number;
}

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_MAX_FAILURES = 3;
const DEFAULT_REDIS_OUTAGE_MS = 5 * 60_000;
/** The states an agent can be in as its round ends: interrupt and close during a round take effect after it. */
const IN_A_ROUND: readonly AgentState[] = ['working', 'paused', 'draining'];
/** Messages taken into one round at most. */
const ROUND_BATCH = 50;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

function taskAssignIds(classification: RoundClassification): string[] {
  const ids: string[] = [];
  for (const item of classification.actionable) {
    if (item.message.type === 'task_assign' && !ids.includes(item.message.task_id)) {
      ids.push(item.message.task_id);
    }
  }
  return ids;
}

function describeOutcome(outcome: RoundOutcome, timeoutMs: number): string {
  if (outcome.spawnError) return `could not start the CLI: ${outcome.spawnError.message}`;
  // The duration includes the kill grace a CLI ignoring SIGTERM used up: it is not the limit.
  if (outcome.timedOut) {
    return `timed out (limit ${timeoutMs} ms) and was killed after ${outcome.durationMs} ms`;
  }
  if (outcome.aborted) return 'aborted';
  if (outcome.signal) return `killed by ${outcome.signal}`;
  return `exit code ${outcome.exitCode}`;
}

const succeeded = (outcome: RoundOutcome) =>
  outcome.exitCode === 0 && !outcome.timedOut && !outcome.aborted && outcome.spawnError === undefined;

/**
 * The agent runtime: feeds the agent's inbox to its AI CLI, one round at a time, holding the agent's lease
 * throughout (also while the CLI runs, which the original forgot). Messages are taken in flight and only
 * acknowledged once the round's outcome is known; a failed round puts its actionable messages back at the
 * front of their queues and its running task back to assigned. Stop, close, interrupt and resume take effect
 * between rounds; kill (and an abort of `signal`) kills a running CLI with its whole process tree.
 */
export class AgentLoop {
  private readonly log: (line: string) => void;
  private readonly pollMs: number;
  private readonly tickMs: number;
  private readonly maxFailures: number;
  private readonly settings: CheckedLoopSettings;
  private rounds = 0;
  private failedRounds = 0;
  /** Why the loop ended in `error`, for the result. */
  private failure: string | undefined;
  private consecutiveFailures = 0;
  private idleSince = Date.now();
  /** Informational lines from rounds that had nothing to act on, shown in the next prompt. */
  private carriedInfo: string[] = [];
  /**
   * Tasks whose assignment was delivered once more because a round exited 0 leaving them open: each gets
   * one such reminder, so a CLI that never finishes its task cannot spend every round on it.
   */
  private readonly reminded = new Set<string>();
  /** When Redis became unreachable, while it is. */
  private outageSince: number | undefined;
  private cli: ResolvedCli | undefined;
  readonly history: RoundRecord[] = [];

  constructor(private readonly options: AgentLoopOptions) {
    this.log = options.log ?? (() => {});
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.tickMs = options.tickMs ?? Math.max(100, Math.floor(options.town.settings.leaseMs / 3));
    this.maxFailures = options.maxConsecutiveFailures ?? DEFAULT_MAX_FAILURES;
    this.settings = checkLoopSettings(options.settings);
  }

  private get town(): Town {
    return this.options.town;
  }

  private get id(): string {
    return this.options.agentId;
  }

  async run(): Promise<AgentLoopResult> {
    let reason: AgentLoopExit;
    try {
      reason = await this.loop();
    } catch (caught) {
      if (isTinytownError(caught, 'AGENT_NOT_FOUND')) {
        reason = 'removed';
      } else {
        reason = 'error';
        this.failure = caught instanceof Error ? caught.message : String(caught);
        this.log(`error: ${this.failure}`);
        await this.moveTo('error', [], `Runtime error: ${this.failure}`).catch(() => {});
      }
    }
    const finalState = await this.finish(reason);
    this.log(`finished (${reason}) after ${plural(this.rounds, 'round')}, ${this.failedRounds} failed`);
    return {
      reason,
      rounds: this.rounds,
      failedRounds: this.failedRounds,
      finalState,
      ...(this.failure === undefined ? {} : { error: this.failure }),
    };
  }

  /** At exit the agent is stopped, unless it already ended in a terminal state (kill, error). */
  private async finish(reason: AgentLoopExit): Promise<AgentState | undefined> {
    if (reason === 'removed') return undefined;
    try {
      const agent = await this.town.agents.get(this.id);
      if (isTerminalAgentState(agent.state)) return agent.state;
      const note =
        reason === 'idle_timeout'
          ? 'Idle timeout reached; stopped'
          : `Stopped after ${plural(this.rounds, 'round')} (${reason.replace('_', ' ')})`;
      await this.moveTo('stopped', [], note);
      return 'stopped';
    } catch (caught) {
      if (isTinytownError(caught, 'AGENT_NOT_FOUND')) return undefined;
      throw caught;
    }
  }

  /** A transition that only happens from the given states; false when the agent was elsewhere. */
  private async moveTo(to: AgentState, from: readonly AgentState[], activity?: string): Promise<boolean> {
    const legal: AgentState[] =
      from.length > 0 ? [...from] : ['starting', 'idle', 'working', 'paused', 'draining', 'cold'];
    try {
      await this.town.agents.transition(this.id, to, {
        from: legal,
        ...(activity === undefined ? {} : { activity }),
      });
      return true;
    } catch (caught) {
      if (isTinytownError(caught, 'INVALID_TRANSITION')) return false;
      throw caught;
    }
  }

  private async loop(): Promise<AgentLoopExit> {
    const { signal } = this.options;
    const { settings } = this;
    const agent = await this.town.agents.get(this.id);
    try {
      const cli = resolveAgentCli(agent.cli, this.options.agentClis ?? {});
      // Before any message is taken: a missing program found at the first round would only fail it, with
      // its task started, and spawn's ENOENT names neither the CLI nor the setting to fix.
      requireInstalledCli(cli, { townRoot: this.options.townRoot, env: this.roundEnv(agent.name, cli) });
      this.cli = cli;
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      await this.moveTo('error', [], message);
      throw caught;
    }
    this.log(
      `agent ${agent.name} (${agent.id}) runs ${this.cli.name}: ${this.cli.argv.join(' ')}; max ${plural(settings.maxRounds, 'round')}, round timeout ${settings.roundTimeoutMs} ms, idle timeout ${settings.idleTimeoutMs} ms`,
    );
    await this.moveTo('idle', ['starting', 'cold']);
    this.idleSince = Date.now();

    for (;;) {
      if (signal?.aborted) return 'aborted';
      try {
        const ended = await this.iteration(agent.name);
        if (ended) return ended;
      } catch (caught) {
        // Redis going away (a restart, a failover) pauses the agent instead of ending it; in-flight messages
        // stay in flight and are delivered again, and a lapsed lease is the reaper's to handle.
        if (!isTinytownError(caught, 'REDIS_UNAVAILABLE')) throw caught;
        const outageMs = this.options.redisOutageMs ?? DEFAULT_REDIS_OUTAGE_MS;
        const retryMs = Math.min(this.pollMs * 2, 2_000);
        if (this.outageSince === undefined) {
          this.outageSince = Date.now();
          // Once per outage: a retry every couple of seconds would bury the rest of the log.
          this.log(
            `${caught.message.replace(/\.$/, '')}; retrying every ${retryMs / 1000} s for up to ${Math.round(outageMs / 1000)} s`,
          );
        }
        if (Date.now() - this.outageSince > outageMs) throw caught;
        await sleep(retryMs, signal);
      }
    }
  }

  /** One pass of the loop: control checks, then idle handling or one round. */
  private async iteration(agentName: string): Promise<AgentLoopExit | undefined> {
    const { signal } = this.options;
    const { settings } = this;
    const beat = await this.town.agents.heartbeat(this.id);
    if (this.outageSince !== undefined) {
      // Said at once: the round this pass may run (one cut short by the outage, again) can take long.
      this.log(`Redis is back after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s`);
      this.outageSince = undefined;
    }
    if (beat.stopRequested === 'kill' || isTerminalAgentState(beat.state)) {
      return beat.stopRequested === 'kill' ? 'killed' : 'stopped';
    }
    if (beat.stopRequested === 'close' || beat.state === 'draining') return 'closed';
    if (beat.state === 'paused') {
      this.idleSince = Date.now();
      await sleep(this.pollMs, signal);
      return undefined;
    }
    if (this.rounds >= settings.maxRounds) return 'max_rounds';
    // Between rounds the agent is never working (a round cut short by an outage may have left it so).
    if (beat.state === 'working') await this.moveTo('idle', ['working']);

    const messages = await this.town.messages.takeRound(this.id, ROUND_BATCH);
    if (messages.length === 0) {
      if (settings.autoClaim && (await this.autoClaim())) return undefined;
      if (settings.idleTimeoutMs > 0 && Date.now() - this.idleSince >= settings.idleTimeoutMs) {
        this.log(`idle for ${settings.idleTimeoutMs} ms: draining and stopping`);
        await this.moveTo('draining', ['idle', 'working', 'starting'], 'Idle timeout reached; draining');
        return 'idle_timeout';
      }
      await sleep(this.pollMs, signal);
      return undefined;
    }

    const ended = await this.round(agentName, messages);
    if (ended) return ended;
    this.idleSince = Date.now();
    if (this.consecutiveFailures > 0) {
      // Back off after a failure instead of hammering a broken CLI with the same messages.
      await sleep(Math.min(this.pollMs * 2 ** this.consecutiveFailures, 30_000), signal);
    }
    return undefined;
  }

  /** Claims the oldest role-matching backlog task; its task_assign message arrives in the inbox. */
  private async autoClaim(): Promise<boolean> {
    const agent = await this.town.agents.get(this.id);
    const role = inferRoleHint(agent);
    const claimed = await this.town.backlog.claimNext(this.id, (task) => taskMatchesRole(task, role));
    if (claimed) this.log(`claimed backlog task ${claimed.task.id} (role ${role})`);
    return claimed !== null;
  }

  private async senderLookup(): Promise<(id: string) => Sender | undefined> {
    const agents = await this.town.agents.list();
    const byId = new Map<string, Agent>(agents.map((agent) => [agent.id, agent]));
    return (id) => byId.get(id);
  }

  /** One round. Returns why the loop must end, or undefined to go on. */
  private async round(agentName: string, messages: readonly Message[]): Promise<AgentLoopExit | undefined> {
    const { signal } = this.options;
    const { settings } = this;
    const classified = classifyRound(messages, await this.senderLookup());
    const taskIds = taskAssignIds(classified);
    const records = await this.town.tasks.getMany(taskIds);
    const classification = withoutStaleAssignments(classified, records, this.id);
    const actionableIds = classification.actionable.map((item) => item.message.id);
    // What a round that does not happen, or fails, puts back: all of it, so that the informational lines
    // the CLI never read survive the loop ending (an acknowledged message lived on only in memory).
    const allIds = messages.map((message) => message.id);

    if (classification.actionable.length === 0) {
      // Nothing for the CLI: acknowledge, but keep the summaries for the next prompt and the activity log.
      await this.town.messages.settleRound(this.id, []);
      for (const line of classification.informational)
        await this.town.agents.logActivity(this.id, `Info: ${line}`);
      for (const { summary, count } of classification.confirmations) {
        await this.town.agents.logActivity(this.id, `Ack: ${summary} x${count}`);
      }
      this.carriedInfo.push(...classification.informational);
      this.carriedInfo = this.carriedInfo.slice(-50);
      return undefined;
    }

    const agent = await this.town.agents.get(this.id);
    if (!(await this.moveTo('working', ['idle', 'starting']))) {
      // Paused, closed or killed between the heartbeat and now: the messages wait for a later round.
      await this.town.messages.settleRound(this.id, allIds);
      return undefined;
    }

    const roundNumber = this.rounds + 1;
    const tasks = new Map<string, PromptTask>();
    for (const task of records) tasks.set(task.id, task);
    let started: string | undefined;
    for (const id of taskIds) {
      const task = records.find((record) => record.id === id);
      if (!task || task.assigned_to !== this.id || task.state !== 'assigned') continue;
      try {
        tasks.set(id, await this.town.tasks.start(id, { by: this.id }));
        started = id;
        break;
      } catch (caught) {
        if (!isTinytownError(caught)) throw caught;
      }
    }

    const backlog = await this.town.backlog.list();
    const snapshot = backlogSnapshot(backlog, inferRoleHint(agent));
    // Tasks still this agent's from earlier rounds (left running, or not yet taken on): the CLI remembers
    // nothing between rounds, so each prompt names them.
    const openTasks = (await this.town.tasks.list({ agent: this.id })).filter(
      (task) => !isTerminalTaskState(task.state) && !tasks.has(task.id),
    );
    const withCarried: RoundClassification = {
      ...classification,
      informational: [...this.carriedInfo, ...classification.informational],
    };
    const prompt = buildRoundPrompt({
      agent,
      town: this.town.name,
      round: roundNumber,
      maxRounds: settings.maxRounds,
      messages: withCarried,
      tasks,
      openTasks,
      backlog: snapshot,
    });

    const cli = this.cli!;
    const townRoot = resolve(this.options.townRoot);
    const logDir = roundLogDir(townRoot, this.id);
    await mkdir(logDir, { recursive: true });
    // Named by the round number the log lines and the prompt use: failed rounds count too.
    const logFile = roundLogFile(logDir, roundNumber, Date.now());
    const env = this.roundEnv(agentName, cli);

    const roundAbort = new AbortController();
    let killed = false;
    const onOuterAbort = () => roundAbort.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    this.log(
      `round ${roundNumber}: ${plural(classification.actionable.length, 'actionable message')}${started ? `, task ${started}` : ''}; log ${logFile}`,
    );
    let outcome: RoundOutcome;
    try {
      outcome = await runCliRound({
        cli,
        prompt,
        cwd: cli.workdir ? resolve(townRoot, cli.workdir) : townRoot,
        env,
        logFile,
        pidFile: roundPidFile(logDir),
        timeoutMs: settings.roundTimeoutMs,
        signal: roundAbort.signal,
        tickMs: this.tickMs,
        ...(this.options.killGraceMs === undefined ? {} : { killGraceMs: this.options.killGraceMs }),
        onTick: async () => {
          const beat = await this.town.agents.heartbeat(this.id);
          if (beat.stopRequested === 'kill' || isTerminalAgentState(beat.state)) {
            killed = true;
            roundAbort.abort();
          }
        },
        onTickError: (caught) =>
          this.log(`lease renewal failed: ${caught instanceof Error ? caught.message : String(caught)}`),
      });
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
    await this.pruneRoundLogs(logDir, logFile);

    const ok = succeeded(outcome);
    const reminders = ok ? await this.leftOpen(classification) : [];
    const requeued = await this.town.messages.settleRound(
      this.id,
      ok ? reminders.map((item) => item.messageId) : allIds,
    );
    this.history.push({ round: roundNumber, outcome, logFile, messageIds: actionableIds, requeued });
    this.rounds += 1;
    const what = describeOutcome(outcome, settings.roundTimeoutMs);

    if (ok) {
      this.consecutiveFailures = 0;
      this.carriedInfo = [];
      await this.town.agents.recordRound(this.id);
      await this.town.agents.logActivity(this.id, `Round ${roundNumber}: completed`);
      this.log(`round ${roundNumber}: completed in ${outcome.durationMs} ms`);
      for (const { taskId } of reminders) {
        const note = `Round ${roundNumber} ended with task ${taskId} still open; its assignment is delivered once more`;
        this.log(note);
        await this.town.agents.logActivity(this.id, note);
      }
    } else {
      this.failedRounds += 1;
      this.consecutiveFailures += 1;
      this.log(`round ${roundNumber}: ${what}; ${plural(requeued, 'message')} back in the inbox`);
      await this.town.agents.logActivity(this.id, `Round ${roundNumber}: failed (${what})`);
      if (started) await this.unstart(started);
    }

    if (killed) return 'killed';
    if (signal?.aborted) return 'aborted';
    if (outcome.spawnError) {
      this.failure = `The '${cli.name}' CLI could not start: ${outcome.spawnError.message}`;
      await this.moveTo('error', IN_A_ROUND, this.failure);
      return 'error';
    }
    if (this.consecutiveFailures >= this.maxFailures) {
      this.failure =
        this.consecutiveFailures === 1
          ? `round ${roundNumber} failed (${what})`
          : `${this.consecutiveFailures} rounds failed in a row (the last: ${what})`;
      await this.moveTo('error', IN_A_ROUND, this.failure);
      return 'error';
    }
    await this.moveTo('idle', ['working']);
    return undefined;
  }

  /**
   * After a round that exited 0: the assignments of this round whose task is still open and still this
   * agent's, each not reminded before. Their messages go back to the inbox, so the next round shows the task
   * again (the original acknowledged them, and the task stayed running under an idle agent for good).
   */
  private async leftOpen(
    classification: RoundClassification,
  ): Promise<{ messageId: string; taskId: string }[]> {
    const assignments = classification.actionable.flatMap(({ message }) =>
      message.type === 'task_assign' && !this.reminded.has(message.task_id)
        ? [{ messageId: message.id, taskId: message.task_id }]
        : [],
    );
    const open = new Set(
      (await this.town.tasks.getMany(assignments.map((item) => item.taskId)))
        .filter((task) => !isTerminalTaskState(task.state) && task.assigned_to === this.id)
        .map((task) => task.id),
    );
    const left = assignments.filter((item) => open.has(item.taskId));
    for (const { taskId } of left) this.reminded.add(taskId);
    return left;
  }

  /** The complete environment of the agent's CLI in a round. */
  private roundEnv(agentName: string, cli: ResolvedCli): Record<string, string> {
    return buildRoundEnv(
      {
        agentId: this.id,
        agentName,
        town: this.town.name,
        redisUrl: this.options.redisUrl,
        townhallUrl: this.options.townhallUrl,
      },
      { ...(this.options.extraEnv ?? {}), ...cli.env },
      this.options.baseEnv,
    );
  }

  /** Keeps the newest round logs; a log that cannot be deleted is no reason to fail the round. */
  private async pruneRoundLogs(logDir: string, current: string): Promise<void> {
    try {
      await pruneRoundLogs(logDir, this.settings.keepRoundLogs, current);
    } catch (caught) {
      this.log(
        `could not prune old round logs: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
    }
  }

  /** A failed round's task goes back to assigned, unless the CLI already finished it. */
  private async unstart(taskId: string): Promise<void> {
    try {
      const task = await this.town.tasks.get(taskId);
      if (task.state === 'running' && !isTerminalTaskState(task.state))
        await this.town.tasks.unstart(taskId, { by: this.id });
    } catch (caught) {
      if (!(caught instanceof TinytownError)) throw caught;
    }
  }
}

/**
 * Runs an agent's round loop until it stops; see `AgentLoop`. Rejects at once, with `INVALID_ID` or
 * `AGENT_NOT_FOUND`, when `agentId` names no agent: once running, an agent that disappears is one removed
 * while it ran (`reason: 'removed'`).
 */
export async function runAgentLoop(options: AgentLoopOptions): Promise<AgentLoopResult> {
  const agentId = parseId(options.agentId, 'agentId');
  const loop = new AgentLoop({ ...options, agentId });
  await options.town.agents.get(agentId);
  return loop.run();
}
