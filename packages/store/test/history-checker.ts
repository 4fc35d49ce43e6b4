import { TASK_STATES, type TaskState, type TownEvent } from '@tinytown/core';
import type { Redis } from 'ioredis';
import type { TownKeys } from '../src/index.js';

/**
 * The checker behind history.test.ts: it replays the town's event stream (the order in which the Lua
 * scripts committed, so a linearization of everything that happened) next to the log of what each agent
 * was told by the store, and compares the result with what Redis holds at the end. Pure functions over
 * recorded data, so that a failure names exactly which task broke which rule.
 */

/** A small seeded PRNG (mulberry32): the same seed gives every agent the same stream of choices. */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A PRNG of its own for each actor, derived from the run's seed and the actor's label (FNV-1a). */
export function rngFor(seed: number, label: string): Rng {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return mulberry32(hash);
}

export type OpKind = 'claim' | 'claim_start' | 'start' | 'complete' | 'complete_next' | 'fail' | 'release';

/** One task operation as its caller saw it. */
export interface OpRecord {
  agentId: string;
  /** Which life of the agent made the call: 0 as registered, +1 for each restart after a recovery. */
  life: number;
  kind: OpKind;
  /** The task the call named or, for a claim, the task it got (null: nothing was claimable). */
  taskId: string | null;
  /** What complete_next claimed and started along with the completion. */
  nextTaskId?: string | null;
  /** 'ok', or the TinytownError code it was refused with, or `error: <message>` for anything else. */
  outcome: string;
}

/** Refusals the store is expected to give under races: anything else (a script error) is a bug. */
const EXPECTED_REFUSALS = new Set(['INVALID_TRANSITION']);

const TERMINAL_EVENT: Partial<Record<string, TaskState>> = {
  task_completed: 'completed',
  task_failed: 'failed',
  task_cancelled: 'cancelled',
};

const TERMINAL_OP: Partial<Record<OpKind, TaskState>> = {
  complete: 'completed',
  complete_next: 'completed',
  fail: 'failed',
};

interface ModelTask {
  state: TaskState;
  /** The agent the store has it assigned to. */
  holder: string | null;
  /** `<agent>#<life>` whose run is open (started, not yet finished, requeued or recovered). */
  run: string | null;
  terminalAt: number | null;
  terminalEvents: number;
  /** The open run at the moment the task was finished. */
  runWhenFinished: string | null;
}

/** An agent's lives as event indexes: each starts at a spawn or restart and ends at a recovery. */
interface ModelAgent {
  lives: { start: number; end: number | null }[];
}

export interface HistoryStats {
  events: number;
  lives: number;
  recoveries: number;
  /** Runs that recoveries ended (their tasks back to assigned): what recover() must have reported. */
  runsEndedByRecovery: number;
  completed: number;
  failed: number;
  requeued: number;
  /** Runs started on behalf of an agent that the store had already stopped (see the test's report). */
  startsUnderStoppedAgent: number;
  /** Completions/failures that landed after the calling life had been recovered. */
  lateAcksAccepted: number;
  /** …of which ended a run that belonged to another life. */
  lateAcksEndingAnotherRun: number;
  /** Completions/failures refused (the task had moved on: finished by another, or back on the backlog). */
  finishesRefused: number;
}

export interface HistoryReport {
  violations: string[];
  stats: HistoryStats;
  /** Each task's state as the history leaves it. */
  states: Map<string, TaskState>;
}

const short = (id: string | null | undefined) => (id ? id.slice(0, 8) : '(none)');

export function checkHistory(input: {
  taskIds: readonly string[];
  events: readonly TownEvent[];
  ops: readonly OpRecord[];
}): HistoryReport {
  const violations: string[] = [];
  const tasks = new Map<string, ModelTask>();
  const agents = new Map<string, ModelAgent>();
  const stats: HistoryStats = {
    events: input.events.length,
    lives: 0,
    recoveries: 0,
    runsEndedByRecovery: 0,
    completed: 0,
    failed: 0,
    requeued: 0,
    startsUnderStoppedAgent: 0,
    lateAcksAccepted: 0,
    lateAcksEndingAnotherRun: 0,
    finishesRefused: 0,
  };
  const liveLife = (agentId: string): number | null => {
    const lives = agents.get(agentId)?.lives ?? [];
    const last = lives.length - 1;
    return last >= 0 && lives[last]!.end === null ? last : null;
  };

  input.events.forEach((event, at) => {
    const where = `event #${at} ${event.event_type}`;
    if (event.event_type === 'agent_spawned' && event.agent_id) {
      agents.set(event.agent_id, { lives: [{ start: at, end: null }] });
      return;
    }
    if (event.event_type === 'agent_state_changed' && event.agent_id && event.new_state === 'starting') {
      const agent = agents.get(event.agent_id);
      if (!agent) violations.push(`${where}: restart of an agent never spawned (${short(event.agent_id)})`);
      else agent.lives.push({ start: at, end: null });
      return;
    }
    if (event.event_type === 'agent_recovered' && event.agent_id) {
      const life = liveLife(event.agent_id);
      if (life === null) {
        violations.push(`${where}: recovered ${short(event.agent_id)}, which was not alive`);
        return;
      }
      agents.get(event.agent_id)!.lives[life]!.end = at;
      stats.recoveries += 1;
      // Recovery names no tasks in its event: it puts every running task of the agent back to assigned.
      const run = `${event.agent_id}#${life}`;
      for (const task of tasks.values()) {
        if (task.state === 'running' && task.holder === event.agent_id) {
          task.state = 'assigned';
          task.run = null;
          stats.runsEndedByRecovery += 1;
        } else if (task.run === run) {
          violations.push(`${where}: a run of ${run} was open on a task it did not hold`);
        }
      }
      return;
    }
    if (!event.task_id) return;

    if (event.event_type === 'task_created') {
      if (tasks.has(event.task_id)) violations.push(`${where}: task ${short(event.task_id)} created twice`);
      tasks.set(event.task_id, {
        state: 'pending',
        holder: null,
        run: null,
        terminalAt: null,
        terminalEvents: 0,
        runWhenFinished: null,
      });
      return;
    }
    const task = tasks.get(event.task_id);
    if (!task) {
      violations.push(`${where}: unknown task ${short(event.task_id)}`);
      return;
    }
    if (task.terminalAt !== null) {
      violations.push(
        `${where}: task ${short(event.task_id)} changed after it was ${task.state} (event #${task.terminalAt})`,
      );
    }
    const finished = TERMINAL_EVENT[event.event_type];
    if (event.event_type === 'task_started') {
      if (task.run !== null) {
        violations.push(
          `${where}: task ${short(event.task_id)} started by ${short(event.agent_id)} while the run of ${task.run} was still open`,
        );
      }
      if (!event.agent_id) {
        // A run nobody owns: no lease covers it, so no recovery will ever bring it back.
        violations.push(`${where}: task ${short(event.task_id)} started with no assignee`);
        task.run = null;
      } else {
        const life = liveLife(event.agent_id);
        if (life === null) stats.startsUnderStoppedAgent += 1;
        task.run = `${event.agent_id}#${life ?? 'stopped'}`;
      }
      task.state = 'running';
      task.holder = event.agent_id ?? null;
    } else if (finished) {
      task.terminalEvents += 1;
      if (task.terminalEvents > 1) violations.push(`${where}: task ${short(event.task_id)} finished twice`);
      task.runWhenFinished = task.run;
      task.state = finished;
      task.run = null;
      task.terminalAt = at;
      if (finished === 'completed') stats.completed += 1;
      if (finished === 'failed') stats.failed += 1;
    } else if (event.event_type === 'task_assigned') {
      task.state = 'assigned';
      task.holder = event.agent_id ?? null;
      task.run = null;
    } else if (event.event_type === 'task_requeued') {
      task.state = 'pending';
      task.holder = null;
      task.run = null;
      stats.requeued += 1;
    } else {
      violations.push(`${where}: unexpected for task ${short(event.task_id)}`);
    }
  });
  for (const agent of agents.values()) stats.lives += agent.lives.length;

  for (const id of input.taskIds) {
    if (!tasks.has(id)) violations.push(`task ${short(id)}: no task_created in the history`);
  }

  // What the callers were told must match the history: one successful finish per finished task, of
  // the same kind, and none for a task the history does not show finished.
  const finishes = new Map<string, OpRecord[]>();
  for (const op of input.ops) {
    if (op.outcome !== 'ok' && !EXPECTED_REFUSALS.has(op.outcome)) {
      violations.push(
        `${op.kind} of ${short(op.taskId)} by ${short(op.agentId)}: refused with ${op.outcome}`,
      );
    }
    if (!TERMINAL_OP[op.kind] || op.taskId === null) continue;
    if (op.outcome !== 'ok') {
      stats.finishesRefused += 1;
      continue;
    }
    const ended = agents.get(op.agentId)?.lives[op.life]?.end ?? null;
    finishes.set(op.taskId, [...(finishes.get(op.taskId) ?? []), op]);
    const task = tasks.get(op.taskId);
    if (task?.terminalAt != null && ended !== null && task.terminalAt > ended) {
      stats.lateAcksAccepted += 1;
      if (task.runWhenFinished !== null && task.runWhenFinished !== `${op.agentId}#${op.life}`) {
        stats.lateAcksEndingAnotherRun += 1;
      }
    }
  }
  for (const [id, task] of tasks) {
    const told = finishes.get(id) ?? [];
    if (told.length > 1) {
      violations.push(`task ${short(id)}: ${told.length} callers were told they finished it`);
    }
    if (task.terminalAt !== null && told.length === 0) {
      violations.push(`task ${short(id)}: ${task.state} in the history, but no caller finished it`);
    }
    if (task.terminalAt === null && told.length > 0) {
      violations.push(`task ${short(id)}: a caller was told it finished it, but the history never did`);
    }
    const [op] = told;
    if (op && task.terminalAt !== null && TERMINAL_OP[op.kind] !== task.state) {
      violations.push(`task ${short(id)}: ${op.kind} succeeded, but the history says ${task.state}`);
    }
  }

  const states = new Map([...tasks].map(([id, task]) => [id, task.state]));
  return { violations, stats, states };
}

/** What Redis holds for the town's tasks, read directly (not through the code under test). */
export interface StoreState {
  taskIndex: string[];
  hashes: Map<string, Record<string, string>>;
  stateSets: Map<TaskState, string[]>;
  agentSets: Map<string, string[]>;
  backlog: string[];
  agents: Record<string, string>[];
}

export async function readStoreState(redis: Redis, keys: TownKeys): Promise<StoreState> {
  const taskIndex = await redis.smembers(keys.tasks);
  const hashes = new Map<string, Record<string, string>>();
  for (const id of taskIndex) hashes.set(id, await redis.hgetall(keys.task(id)));
  const stateSets = new Map<TaskState, string[]>();
  for (const state of TASK_STATES) stateSets.set(state, await redis.smembers(keys.tasksInState(state)));
  const agents: Record<string, string>[] = [];
  const agentSets = new Map<string, string[]>();
  for (const id of await redis.smembers(keys.agents)) {
    agents.push(await redis.hgetall(keys.agent(id)));
    agentSets.set(id, await redis.smembers(keys.tasksOfAgent(id)));
  }
  const backlog = await redis.lrange(keys.backlog, 0, -1);
  return { taskIndex, hashes, stateSets, agentSets, backlog, agents };
}

export interface StoreCheck {
  violations: string[];
  /** Backlog ids whose task is no longer pending: claimers skip them, listings still show them. */
  staleBacklogIds: number;
}

/**
 * Checks the store's indexes against the task hashes and against the history. `recovered`: every agent
 * has been recovered (so each task is where the history says recovery left it). `quiescent`: and its
 * work reclaimed, so nothing may be assigned or running. `finished`: the backlog has been drained, so
 * every task must be completed or failed.
 */
export function checkStoreState(
  store: StoreState,
  taskIds: readonly string[],
  history: ReadonlyMap<string, TaskState>,
  phase: 'recovered' | 'quiescent' | 'finished',
): StoreCheck {
  const violations: string[] = [];
  const seeded = new Set(taskIds);
  const indexed = new Set(store.taskIndex);
  for (const id of seeded) if (!indexed.has(id)) violations.push(`task ${short(id)} vanished from the index`);
  for (const id of indexed) if (!seeded.has(id)) violations.push(`task ${short(id)} appeared from nowhere`);

  const inStates = new Map<string, TaskState[]>();
  for (const [state, ids] of store.stateSets) {
    for (const id of ids) inStates.set(id, [...(inStates.get(id) ?? []), state]);
  }
  const pending = new Set<string>();
  for (const id of seeded) {
    const hash = store.hashes.get(id);
    const state = hash?.state as TaskState | undefined;
    if (!hash?.id || !state) {
      violations.push(`task ${short(id)}: no hash`);
      continue;
    }
    const sets = inStates.get(id) ?? [];
    if (sets.length !== 1 || sets[0] !== state) {
      violations.push(`task ${short(id)}: hash says ${state}, state index sets say [${sets.join(', ')}]`);
    }
    if (history.get(id) !== state) {
      violations.push(`task ${short(id)}: hash says ${state}, the history says ${history.get(id)}`);
    }
    if (state === 'pending') {
      pending.add(id);
      if (hash.assigned_to)
        violations.push(`task ${short(id)}: pending but assigned to ${short(hash.assigned_to)}`);
    }
    if ((state === 'assigned' || state === 'running') && !hash.assigned_to) {
      violations.push(`task ${short(id)}: ${state} with no assignee`);
    }
    if (hash.assigned_to && !store.agentSets.get(hash.assigned_to)?.includes(id)) {
      violations.push(`task ${short(id)}: missing from its assignee's task set`);
    }
    if (phase === 'quiescent' && (state === 'assigned' || state === 'running')) {
      violations.push(`task ${short(id)}: still ${state} after every agent was recovered and reclaimed`);
    }
    if (phase === 'finished' && state !== 'completed' && state !== 'failed') {
      violations.push(`task ${short(id)}: ${state} after the backlog was drained`);
    }
  }
  const totalInSets = [...store.stateSets.values()].reduce((sum, ids) => sum + ids.length, 0);
  if (totalInSets !== seeded.size) {
    violations.push(`state index sets hold ${totalInSets} entries for ${seeded.size} tasks`);
  }
  for (const [agentId, ids] of store.agentSets) {
    for (const id of ids) {
      if (store.hashes.get(id)?.assigned_to !== agentId) {
        violations.push(`task ${short(id)}: in the task set of ${short(agentId)}, but not assigned to it`);
      }
    }
  }

  const onBacklog = new Set(store.backlog);
  if (onBacklog.size !== store.backlog.length) {
    violations.push(`the backlog holds ${store.backlog.length - onBacklog.size} duplicate id(s)`);
  }
  for (const id of pending) {
    if (!onBacklog.has(id)) violations.push(`task ${short(id)}: pending but not on the backlog (lost)`);
  }
  const staleBacklogIds = [...onBacklog].filter((id) => !pending.has(id)).length;
  if (phase === 'finished' && store.backlog.length > 0) {
    violations.push(`the backlog still holds ${store.backlog.length} id(s) after draining`);
  }

  if (phase === 'finished') {
    const counted = store.agents.reduce((sum, agent) => sum + Number(agent.tasks_completed ?? 0), 0);
    const completed = [...store.hashes.values()].filter((hash) => hash.state === 'completed').length;
    if (counted !== completed) {
      violations.push(`agents' tasks_completed add up to ${counted}, but ${completed} tasks are completed`);
    }
  }
  return { violations, staleBacklogIds };
}
